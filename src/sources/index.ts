/**
 * The built-in sources, by config `type`. A compiled binary cannot scan folders, so this list is
 * explicit. Each entry holds the plugin's option schema (light: validation, `check` and `schema`
 * need only that) and loads its implementation on first use, so a config evaluates only the
 * plugins it uses (and their npm dependencies).
 */
import type { SourceClass } from "../api.ts"
import { lazyPlugin, type PluginEntry } from "../core/registry.ts"
import { options as appStoreConnectOptions } from "./app-store-connect/options.ts"
import { options as fritzboxOptions } from "./fritzbox/options.ts"
import { options as gdcOptions } from "./gdc/options.ts"
import { options as homematicIpOptions } from "./homematic-ip/options.ts"
import { options as httpOptions } from "./http/options.ts"
import { options as loadAvgOptions } from "./load-avg/options.ts"
import { options as mmiOptions } from "./mmi/options.ts"
import { options as tcpTimeOptions } from "./tcp-time/options.ts"
import { options as diskUsageOptions } from "./disk-usage/options.ts"
import { options as interfaceOptions } from "./interface/options.ts"
import { options as ioOptions } from "./io/options.ts"
import { options as memoryUsageOptions } from "./memory-usage/options.ts"
import { options as processOptions } from "./process/options.ts"
import { options as snmpGetOptions } from "./snmp-get/options.ts"
import { options as smaPvModbusOptions } from "./sma-pv-modbus/options.ts"
import { options as bindOptions } from "./bind/options.ts"
import { options as plexOptions } from "./plex/options.ts"
import { options as sensorsOptions } from "./sensors/options.ts"
import { options as smartCtlOptions } from "./smart-ctl/options.ts"
import { options as viessmannOptions } from "./viessmann/options.ts"
import { options as zfsOptions } from "./zfs/options.ts"
import { options as certificateOptions } from "./certificate/options.ts"
import { options as espHomeOptions } from "./esp-home/options.ts"
import { options as httpIngressOptions } from "./http-ingress/options.ts"
import { options as tpLinkEapOptions } from "./tp-link-eap/options.ts"
import { options as zodiacPoolOptions } from "./zodiac-pool/options.ts"
import { options as openhabOptions } from "./openhab/options.ts"
import { options as evccOptions } from "./evcc/options.ts"
import { options as pmccOptions } from "./pmcc/options.ts"
import { options as smaEnergyMeterOptions } from "./sma-energy-meter/options.ts"

const appStoreConnectPlugin = lazyPlugin<SourceClass>(
  appStoreConnectOptions,
  () => (require("./app-store-connect/index.ts") as typeof import("./app-store-connect/index.ts")).AppStoreConnectSource,
)
const fritzboxPlugin = lazyPlugin<SourceClass>(
  fritzboxOptions,
  () => (require("./fritzbox/index.ts") as typeof import("./fritzbox/index.ts")).FritzboxSource,
)
const gdcPlugin = lazyPlugin<SourceClass>(gdcOptions, () => (require("./gdc/index.ts") as typeof import("./gdc/index.ts")).GdcSource)
const homematicIpPlugin = lazyPlugin<SourceClass>(
  homematicIpOptions,
  () => (require("./homematic-ip/index.ts") as typeof import("./homematic-ip/index.ts")).HomematicIpSource,
)
const httpPlugin = lazyPlugin<SourceClass>(httpOptions, () => (require("./http/index.ts") as typeof import("./http/index.ts")).HttpSource)
const loadAvgPlugin = lazyPlugin<SourceClass>(
  loadAvgOptions,
  () => (require("./load-avg/index.ts") as typeof import("./load-avg/index.ts")).LoadAvgSource,
)
const mmiPlugin = lazyPlugin<SourceClass>(mmiOptions, () => (require("./mmi/index.ts") as typeof import("./mmi/index.ts")).MMISource)
const tcpTimePlugin = lazyPlugin<SourceClass>(
  tcpTimeOptions,
  () => (require("./tcp-time/index.ts") as typeof import("./tcp-time/index.ts")).TcpTimeSource,
)
const diskUsagePlugin = lazyPlugin<SourceClass>(
  diskUsageOptions,
  () => (require("./disk-usage/index.ts") as typeof import("./disk-usage/index.ts")).DiskUsageSource,
)
const interfacePlugin = lazyPlugin<SourceClass>(
  interfaceOptions,
  () => (require("./interface/index.ts") as typeof import("./interface/index.ts")).InterfaceSource,
)
const ioPlugin = lazyPlugin<SourceClass>(ioOptions, () => (require("./io/index.ts") as typeof import("./io/index.ts")).IOSource)
const memoryUsagePlugin = lazyPlugin<SourceClass>(
  memoryUsageOptions,
  () => (require("./memory-usage/index.ts") as typeof import("./memory-usage/index.ts")).MemoryUsageSource,
)
const processPlugin = lazyPlugin<SourceClass>(
  processOptions,
  () => (require("./process/index.ts") as typeof import("./process/index.ts")).ProcessSource,
)
const snmpGetPlugin = lazyPlugin<SourceClass>(
  snmpGetOptions,
  () => (require("./snmp-get/index.ts") as typeof import("./snmp-get/index.ts")).SnmpGetSource,
)
const smaPvModbusPlugin = lazyPlugin<SourceClass>(
  smaPvModbusOptions,
  () => (require("./sma-pv-modbus/index.ts") as typeof import("./sma-pv-modbus/index.ts")).SmaPvModbusSource,
)
const bindPlugin = lazyPlugin<SourceClass>(bindOptions, () => (require("./bind/index.ts") as typeof import("./bind/index.ts")).BindSource)
const plexPlugin = lazyPlugin<SourceClass>(plexOptions, () => (require("./plex/index.ts") as typeof import("./plex/index.ts")).PlexSource)
const sensorsPlugin = lazyPlugin<SourceClass>(
  sensorsOptions,
  () => (require("./sensors/index.ts") as typeof import("./sensors/index.ts")).SensorsSource,
)
const smartCtlPlugin = lazyPlugin<SourceClass>(
  smartCtlOptions,
  () => (require("./smart-ctl/index.ts") as typeof import("./smart-ctl/index.ts")).SmartCtlSource,
)
const viessmannPlugin = lazyPlugin<SourceClass>(
  viessmannOptions,
  () => (require("./viessmann/index.ts") as typeof import("./viessmann/index.ts")).ViessmannSource,
)
const zfsPlugin = lazyPlugin<SourceClass>(zfsOptions, () => (require("./zfs/index.ts") as typeof import("./zfs/index.ts")).ZfsSource)
const certificatePlugin = lazyPlugin<SourceClass>(
  certificateOptions,
  () => (require("./certificate/index.ts") as typeof import("./certificate/index.ts")).CertificateSource,
)
const espHomePlugin = lazyPlugin<SourceClass>(
  espHomeOptions,
  () => (require("./esp-home/index.ts") as typeof import("./esp-home/index.ts")).EspHomeSource,
)
const httpIngressPlugin = lazyPlugin<SourceClass>(
  httpIngressOptions,
  () => (require("./http-ingress/index.ts") as typeof import("./http-ingress/index.ts")).HttpIngressSource,
)
const tpLinkEapPlugin = lazyPlugin<SourceClass>(
  tpLinkEapOptions,
  () => (require("./tp-link-eap/index.ts") as typeof import("./tp-link-eap/index.ts")).TpLinkEapSource,
)
const zodiacPoolPlugin = lazyPlugin<SourceClass>(
  zodiacPoolOptions,
  () => (require("./zodiac-pool/index.ts") as typeof import("./zodiac-pool/index.ts")).ZodiacPoolSource,
)
const openhabPlugin = lazyPlugin<SourceClass>(
  openhabOptions,
  () => (require("./openhab/index.ts") as typeof import("./openhab/index.ts")).OpenhabSource,
)
const evccPlugin = lazyPlugin<SourceClass>(evccOptions, () => (require("./evcc/index.ts") as typeof import("./evcc/index.ts")).EvccSource)
const pmccPlugin = lazyPlugin<SourceClass>(pmccOptions, () => (require("./pmcc/index.ts") as typeof import("./pmcc/index.ts")).PmccSource)
const smaEnergyMeterPlugin = lazyPlugin<SourceClass>(
  smaEnergyMeterOptions,
  () => (require("./sma-energy-meter/index.ts") as typeof import("./sma-energy-meter/index.ts")).SmaEnergyMeterSource,
)

export const builtinSources: Record<string, PluginEntry<SourceClass>> = {
  AppStoreConnect: appStoreConnectPlugin,
  Fritzbox: fritzboxPlugin,
  Fritz: fritzboxPlugin,
  Gdc: gdcPlugin,
  HomematicIp: homematicIpPlugin,
  Http: httpPlugin,
  LoadAvg: loadAvgPlugin,
  MMI: mmiPlugin,
  TcpTime: tcpTimePlugin,
  DiskUsage: diskUsagePlugin,
  Interface: interfacePlugin,
  IO: ioPlugin,
  MemoryUsage: memoryUsagePlugin,
  Process: processPlugin,
  SnmpGet: snmpGetPlugin,
  SmaPvModbus: smaPvModbusPlugin,
  Bind: bindPlugin,
  Plex: plexPlugin,
  Sensors: sensorsPlugin,
  SmartCtl: smartCtlPlugin,
  Viessmann: viessmannPlugin,
  Zfs: zfsPlugin,
  Certificate: certificatePlugin,
  EspHome: espHomePlugin,
  HttpIngress: httpIngressPlugin,
  TpLinkEap: tpLinkEapPlugin,
  ZodiacPool: zodiacPoolPlugin,
  Openhab: openhabPlugin,
  Evcc: evccPlugin,
  Pmcc: pmccPlugin,
  SmaEnergyMeter: smaEnergyMeterPlugin,
}
