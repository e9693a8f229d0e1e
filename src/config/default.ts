/** The config pollect runs when started without `--config`: this host's own system metrics. */
export const DEFAULT_CONFIG = {
  tickTime: 10,
  writer: { type: "DryRun" },
  executors: [
    {
      collection: "pollect",
      sources: [{ type: "LoadAvg" }],
    },
  ],
}

export const DEFAULT_CONFIG_SUMMARY = "LoadAvg every 10 s to DryRun (stdout)"
