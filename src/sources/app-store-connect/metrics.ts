/** What AppStoreConnect emits: units per SKU as the original counted them, downloads, and the report day. */
import { defineMetrics } from "../../api.ts"

export const metrics = defineMetrics({
  units: {
    values: ["units"],
    labels: ["sku"],
    help: "App downloads (1F) and in-app purchases (IA1) of the day, as the original counted",
  },
  downloads: {
    values: ["downloads"],
    labels: ["sku"],
    help: "First-time app downloads of the day (all download product types)",
  },
  latestUpdate: { values: ["latestUpdate"], unit: "seconds", help: "Day of the latest sales report (unix time)" },
})
