/** The built-in sources, by config `type`. A compiled binary cannot scan folders, so this list is explicit. */
import type { SourceClass } from "../core/plugin.ts"
import { AppStoreConnectSource } from "./app-store-connect.ts"
import { FritzboxSource } from "./fritzbox.ts"
import { GdcSource } from "./gdc.ts"
import { HomematicIpSource } from "./homematic-ip.ts"
import { HttpSource } from "./http.ts"
import { LoadAvgSource } from "./load-avg.ts"
import { MMISource } from "./mmi.ts"
import { TcpTimeSource } from "./tcp-time.ts"
import { DiskUsageSource } from "./disk-usage.ts"
import { InterfaceSource } from "./interface.ts"
import { IOSource } from "./io.ts"
import { MemoryUsageSource } from "./memory-usage.ts"
import { ProcessSource } from "./process.ts"
import { SnmpGetSource } from "./snmp-get.ts"
import { BindSource } from "./bind.ts"
import { PlexSource } from "./plex.ts"
import { SensorsSource } from "./sensors.ts"
import { SmartCtlSource } from "./smart-ctl.ts"
import { ViessmannSource } from "./viessmann.ts"

export const builtinSources: Record<string, SourceClass> = {
  AppStoreConnect: AppStoreConnectSource,
  Fritzbox: FritzboxSource,
  Fritz: FritzboxSource,
  Gdc: GdcSource,
  HomematicIp: HomematicIpSource,
  Http: HttpSource,
  LoadAvg: LoadAvgSource,
  MMI: MMISource,
  TcpTime: TcpTimeSource,
  DiskUsage: DiskUsageSource,
  Interface: InterfaceSource,
  IO: IOSource,
  MemoryUsage: MemoryUsageSource,
  Process: ProcessSource,
  SnmpGet: SnmpGetSource,
  Bind: BindSource,
  Plex: PlexSource,
  Sensors: SensorsSource,
  SmartCtl: SmartCtlSource,
  Viessmann: ViessmannSource,
}
