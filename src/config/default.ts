/**
 * The config pollect runs when started without `--config`: this host's own system metrics on
 * a Prometheus exporter at :9001 with conventional (snake_case) names.
 */
export const DEFAULT_CONFIG = {
  tickTime: 10,
  writer: { type: "Prometheus", port: 9001, names: "snake_case" },
  executors: [
    {
      collection: "pollect",
      sources: [{ type: "LoadAvg" }, { type: "MemoryUsage" }, { type: "DiskUsage" }, { type: "Interface" }, { type: "IO" }],
    },
  ],
}

export const DEFAULT_CONFIG_SUMMARY = "LoadAvg, MemoryUsage, DiskUsage, Interface and IO every 10 s on http://*:9001/metrics"
