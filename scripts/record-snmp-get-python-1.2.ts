/**
 * Records (into src/sources/snmp-get/testdata/python-1.2) what the Python pollect 1.2 (davidgiga1993/pollect at cf5fa70, checked out at
 * /tmp/pollect-py12) exports for a range config against the real snmpd of test/helpers/snmpd.ts:
 * writes pollect-1.2.json (the config, with 1.2's keys; the port is in `host`) and metrics.txt
 * (its /metrics after 7 ticks: 1.2 needs a tick per number of a rate range).
 *   bun scripts/record-snmp-get-python-1.2.ts
 */
import { join } from "node:path"
import { freeUdpPort, SNMP_TEST, Snmpd } from "../test/helpers/snmpd.ts"

const here = join(import.meta.dir, "../src/sources/snmp-get/testdata/python-1.2")
const snmpd = new Snmpd()
await snmpd.start()
const webPort = await freeUdpPort()
const config = {
  writer: { type: "Prometheus", port: webPort },
  executors: [
    {
      collection: "pollect",
      tickTime: 1,
      sources: [
        {
          type: "SnmpGet",
          name: "router",
          host: "127.0.0.1:PORT",
          snmpVersion: 3,
          username: SNMP_TEST.user,
          authPassPhrase: SNMP_TEST.authKey,
          authProtocol: "SHA",
          privacyPassPhrase: SNMP_TEST.privKey,
          privacyProtocol: "AES",
          metrics: [
            {
              name: "ifInOctets",
              mode: "rate",
              oid: "iso.3.6.1.2.1.2.2.1.10.${if}",
              range: { from: 1, to: 4, label: "if" },
              oidLabels: { ifDescr: "iso.3.6.1.2.1.2.2.1.2.${if}" },
            },
            {
              name: "mtu",
              oid: "iso.3.6.1.2.1.2.2.1.4.${if}",
              range: { from: 1, to: 4, label: "if" },
              oidLabels: { ifDescr: "iso.3.6.1.2.1.2.2.1.2.${if}" },
            },
            // Last: 1.2's writer fails on a label read from a numeric OID (a float) after its first series.
            {
              name: "mtuByType",
              oid: "iso.3.6.1.2.1.2.2.1.4.${if}",
              range: { from: 1, to: 4, label: "if" },
              oidLabels: { type: "iso.3.6.1.2.1.2.2.1.3.${if}" },
            },
          ],
        },
      ],
    },
  ],
}
const text = JSON.stringify(config, null, 2)
await Bun.write(join(here, "pollect-1.2.json"), text.replace(`"port": ${webPort}`, '"port": 9001') + "\n")
const run = join(snmpd.dir, "pollect-1.2.json")
await Bun.write(run, text.replace("127.0.0.1:PORT", `127.0.0.1:${snmpd.port}`))
const python = Bun.spawn(["/usr/bin/python3", "pollect.py", "--config", run], {
  cwd: "/tmp/pollect-py12",
  stdout: "inherit",
  stderr: "inherit",
})
try {
  // 1.2 takes one more tick per number of a rate range to have all baselines.
  await Bun.sleep(7500)
  const body = await (await fetch(`http://127.0.0.1:${webPort}/metrics`)).text()
  await Bun.write(join(here, "metrics.txt"), body)
  console.log(
    body
      .split("\n")
      .filter((line) => line.startsWith("pollect_"))
      .join("\n"),
  )
} finally {
  python.kill()
  await python.exited
  await snmpd.stop()
}
