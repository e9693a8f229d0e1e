/** What ZodiacPool emits: pollect 1.2's names (the source exists only in 1.2). */
import { defineMetrics } from "../../api.ts"

export const metrics = defineMetrics({
  state: {
    values: ["state"],
    labels: ["device_serial"],
    help: "Pool robot state as the cloud reports it: 0 stopped, 1 running, 2 remote control",
  },
  programCycle: {
    values: ["program_cycle"],
    labels: ["device_serial"],
    help: "The robot's program cycle: 0 waterline, 1 quick clean, 2 smart clean, 3 deep clean, 4 custom",
  },
  errorCode: {
    values: ["error_code"],
    labels: ["device_serial"],
    help: "The robot's error code as the cloud reports it (0: no error)",
  },
  remaining: {
    values: ["remaining_time"],
    labels: ["device_serial"],
    unit: "seconds",
    help: "Seconds until the running cleaning cycle ends (cycle start + the program's duration − now); -1 while the robot is stopped",
  },
})
