/** The config pollect runs when started without `--config`: this host's own system metrics. */
export const DEFAULT_CONFIG = {
  tickTime: 10,
  writer: { type: "DryRun" },
  executors: [
    {
      collection: "pollect",
      sources: [{ type: "LoadAvg" }, { type: "MemoryUsage" }, { type: "DiskUsage" }, { type: "Interface" }, { type: "IO" }],
    },
  ],
}

export const DEFAULT_CONFIG_SUMMARY = "LoadAvg, MemoryUsage, DiskUsage, Interface and IO every 10 s to DryRun (stdout)"
