/** What Interface emits: the original's names, per interface. */
import { defineMetrics } from "../../api.ts"

const interfaceLabel = ["interface"]

export const metrics = defineMetrics({
  sentBytesSec: {
    values: ["sent_bytes_sec"],
    labels: interfaceLabel,
    unit: "bytes_per_second",
    help: "Interface sent bytes per second",
  },
  sentPacketsSec: { values: ["sent_packets_sec"], labels: interfaceLabel, help: "Interface sent packets per second" },
  recvBytesSec: {
    values: ["recv_bytes_sec"],
    labels: interfaceLabel,
    unit: "bytes_per_second",
    help: "Interface recv bytes per second",
  },
  recvPacketsSec: { values: ["recv_packets_sec"], labels: interfaceLabel, help: "Interface recv packets per second" },
  totalBytesSent: {
    values: ["total_bytes_sent"],
    labels: interfaceLabel,
    unit: "bytes",
    kind: "counter",
    help: "Interface total bytes sent",
  },
  totalPacketsSent: {
    values: ["total_packets_sent"],
    labels: interfaceLabel,
    kind: "counter",
    help: "Interface total packets sent",
  },
  totalBytesRecv: {
    values: ["total_bytes_recv"],
    labels: interfaceLabel,
    unit: "bytes",
    kind: "counter",
    help: "Interface total bytes recv",
  },
  totalPacketsRecv: {
    values: ["total_packets_recv"],
    labels: interfaceLabel,
    kind: "counter",
    help: "Interface total packets recv",
  },
})
