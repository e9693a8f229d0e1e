/** What Pmcc emits: pollect 1.2's names (the source exists only in 1.2). */
import { defineMetrics } from "../../api.ts"

export const metrics = defineMetrics({
  chargePower: {
    values: ["chargePower"],
    labels: ["phase"],
    help: "Charge power: phase ev is the rate the car reports, in kW; l1, l2, l3 the active power measured per phase, in W (1.2's units)",
  },
  soc: {
    values: ["soc"],
    labels: ["type"],
    help: "The car's state of charge in %: type current, and start (at the beginning of the charging session)",
  },
})
