/** The built-in sources, by config `type`. A compiled binary cannot scan folders, so this list is explicit. */
import type { SourceClass } from "../api.ts"
import { AppStoreConnectSource } from "./app-store-connect/index.ts"
import { FritzboxSource } from "./fritzbox/index.ts"
import { GdcSource } from "./gdc/index.ts"
import { HomematicIpSource } from "./homematic-ip/index.ts"
import { HttpSource } from "./http/index.ts"
import { LoadAvgSource } from "./load-avg/index.ts"
import { MMISource } from "./mmi/index.ts"
import { TcpTimeSource } from "./tcp-time/index.ts"
import { DiskUsageSource } from "./disk-usage/index.ts"
import { InterfaceSource } from "./interface/index.ts"
import { IOSource } from "./io/index.ts"
import { MemoryUsageSource } from "./memory-usage/index.ts"
import { ProcessSource } from "./process/index.ts"
import { SnmpGetSource } from "./snmp-get/index.ts"
import { SmaPvModbusSource } from "./sma-pv-modbus/index.ts"
import { BindSource } from "./bind/index.ts"
import { PlexSource } from "./plex/index.ts"
import { SensorsSource } from "./sensors/index.ts"
import { SmartCtlSource } from "./smart-ctl/index.ts"
import { ViessmannSource } from "./viessmann/index.ts"
import { ZfsSource } from "./zfs/index.ts"
import { CertificateSource } from "./certificate/index.ts"
import { EspHomeSource } from "./esp-home/index.ts"
import { HttpIngressSource } from "./http-ingress/index.ts"
import { TpLinkEapSource } from "./tp-link-eap/index.ts"
import { ZodiacPoolSource } from "./zodiac-pool/index.ts"
import { OpenhabSource } from "./openhab/index.ts"
import { EvccSource } from "./evcc/index.ts"
import { PmccSource } from "./pmcc/index.ts"
import { SmaEnergyMeterSource } from "./sma-energy-meter/index.ts"

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
  SmaPvModbus: SmaPvModbusSource,
  Bind: BindSource,
  Plex: PlexSource,
  Sensors: SensorsSource,
  SmartCtl: SmartCtlSource,
  Viessmann: ViessmannSource,
  Zfs: ZfsSource,
  Certificate: CertificateSource,
  EspHome: EspHomeSource,
  HttpIngress: HttpIngressSource,
  TpLinkEap: TpLinkEapSource,
  ZodiacPool: ZodiacPoolSource,
  Openhab: OpenhabSource,
  Evcc: EvccSource,
  Pmcc: PmccSource,
  SmaEnergyMeter: SmaEnergyMeterSource,
}
