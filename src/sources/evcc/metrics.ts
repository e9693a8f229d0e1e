/** What Evcc emits: pollect 1.2's names (the source exists only in 1.2). */
import { defineMetrics } from "../../api.ts"

export const metrics = defineMetrics({
  loadpoint: {
    values: ["<key>"],
    labels: ["title"],
    help: "A number or flag (1/0) of an evcc loadpoint, named by evcc's key (chargePower W, vehicleSoc %, chargedEnergy Wh, ...)",
  },
  site: {
    values: ["<key>"],
    help: "A number or flag (1/0) of the evcc site, named by evcc's key (gridPower W, pvPower W, homePower W, tariffGrid, ...)",
  },
})
