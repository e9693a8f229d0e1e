/** What Viessmann emits: the features the original pollect reported, under its value names. */
import { defineMetrics } from "../../api.ts"

export const metrics = defineMetrics({
  temperatures: {
    values: [
      "return_temperature",
      "outside_temperature",
      "hot_water_storage_top",
      "hot_water_storage",
      "supply_temp",
      "secondary_return_temp",
      "secondary_supply_temp",
      "hot_water_target_temp",
      "program_normal_temp",
    ],
    unit: "celsius",
    help: "Viessmann heating temperature",
  },
  states: {
    values: [
      "compressor_active",
      "hot_water_charging",
      "heating_rod_active",
      "heating_rod_active_level_1",
      "heating_rod_active_level_2",
      "heating_rod_active_level_3",
      "heating_circulation_pump",
      "hot_water_circulation_pump",
      "hot_water_primary_pump",
    ],
    help: "Viessmann heating state, 1 = on",
  },
  starts: { values: ["compressor_stats_starts"], kind: "counter", help: "Compressor starts" },
  hours: {
    values: [
      "compressor_stats_hours",
      "compressor_stats_hours_class_1",
      "compressor_stats_hours_class_2",
      "compressor_stats_hours_class_3",
      "compressor_stats_hours_class_4",
      "compressor_stats_hours_class_5",
    ],
    unit: "hours",
    kind: "counter",
    help: "Compressor operating hours (per load class)",
  },
  phase: { values: ["compressor_phase"], labels: ["phase"], help: "Compressor phase, 1 for the current one" },
})
