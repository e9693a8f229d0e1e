/** What Gdc emits: the original's crash values and the newest day, plus the installs and ratings overviews. */
import { defineMetrics } from "../../api.ts"

export const metrics = defineMetrics({
  crashes: {
    values: ["crashes_<package>"],
    labels: ["versionCode", "type"],
    help: "Crashes and ANRs of the latest day, per app version",
  },
  latestUpdate: { values: ["latestUpdate"], unit: "seconds", help: "Day of the newest crash data (unix time)" },
  installs: {
    values: [
      "dailyDeviceInstalls",
      "dailyDeviceUninstalls",
      "dailyDeviceUpgrades",
      "totalUserInstalls",
      "dailyUserInstalls",
      "dailyUserUninstalls",
      "activeDeviceInstalls",
      "installEvents",
      "updateEvents",
      "uninstallEvents",
    ],
    labels: ["app"],
    help: "Play Console installs overview of the latest day",
  },
  ratings: {
    values: ["dailyAverageRating", "totalAverageRating"],
    labels: ["app"],
    help: "Play Console ratings overview of the latest day",
  },
})
