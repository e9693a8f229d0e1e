/** What Openhab emits: pollect 1.2's names (the source exists only in 1.2). */
import { defineMetrics } from "../../api.ts"

export const metrics = defineMetrics({
  number: {
    values: ["<item_label>"],
    labels: ["name", "group"],
    help: "State of an openHAB Number item, named by its label, in the unit of its state (the unit cut off: 21.5 °C is 21.5)",
  },
  switch: {
    values: ["<item_label>"],
    labels: ["name", "group"],
    help: "State of an openHAB Switch item, named by its label: 1 ON, 0 OFF",
  },
})
