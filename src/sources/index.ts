/**
 * The built-in sources, by config `type`. A compiled binary cannot scan folders, so this list is
 * explicit. Each entry holds the plugin's option schema (light: validation, `check` and `schema`
 * need only that) and loads its implementation on first use, so a config evaluates only the
 * plugins it uses (and their npm dependencies).
 */
import type { SourceClass } from "../api.ts"
import { lazyPlugin, type PluginEntry } from "../core/registry.ts"

const appStoreConnectPlugin = lazyPlugin<SourceClass>(
  () => (require("./app-store-connect/options.ts") as typeof import("./app-store-connect/options.ts")).options,
  () => (require("./app-store-connect/index.ts") as typeof import("./app-store-connect/index.ts")).AppStoreConnectSource,
)
const fritzboxPlugin = lazyPlugin<SourceClass>(
  () => (require("./fritzbox/options.ts") as typeof import("./fritzbox/options.ts")).options,
  () => (require("./fritzbox/index.ts") as typeof import("./fritzbox/index.ts")).FritzboxSource,
)
const gdcPlugin = lazyPlugin<SourceClass>(
  () => (require("./gdc/options.ts") as typeof import("./gdc/options.ts")).options,
  () => (require("./gdc/index.ts") as typeof import("./gdc/index.ts")).GdcSource,
)
const homematicIpPlugin = lazyPlugin<SourceClass>(
  () => (require("./homematic-ip/options.ts") as typeof import("./homematic-ip/options.ts")).options,
  () => (require("./homematic-ip/index.ts") as typeof import("./homematic-ip/index.ts")).HomematicIpSource,
)
const httpPlugin = lazyPlugin<SourceClass>(
  () => (require("./http/options.ts") as typeof import("./http/options.ts")).options,
  () => (require("./http/index.ts") as typeof import("./http/index.ts")).HttpSource,
)
const loadAvgPlugin = lazyPlugin<SourceClass>(
  () => (require("./load-avg/options.ts") as typeof import("./load-avg/options.ts")).options,
  () => (require("./load-avg/index.ts") as typeof import("./load-avg/index.ts")).LoadAvgSource,
)
const mmiPlugin = lazyPlugin<SourceClass>(
  () => (require("./mmi/options.ts") as typeof import("./mmi/options.ts")).options,
  () => (require("./mmi/index.ts") as typeof import("./mmi/index.ts")).MMISource,
)
const tcpTimePlugin = lazyPlugin<SourceClass>(
  () => (require("./tcp-time/options.ts") as typeof import("./tcp-time/options.ts")).options,
  () => (require("./tcp-time/index.ts") as typeof import("./tcp-time/index.ts")).TcpTimeSource,
)
const diskUsagePlugin = lazyPlugin<SourceClass>(
  () => (require("./disk-usage/options.ts") as typeof import("./disk-usage/options.ts")).options,
  () => (require("./disk-usage/index.ts") as typeof import("./disk-usage/index.ts")).DiskUsageSource,
)
const interfacePlugin = lazyPlugin<SourceClass>(
  () => (require("./interface/options.ts") as typeof import("./interface/options.ts")).options,
  () => (require("./interface/index.ts") as typeof import("./interface/index.ts")).InterfaceSource,
)
const ioPlugin = lazyPlugin<SourceClass>(
  () => (require("./io/options.ts") as typeof import("./io/options.ts")).options,
  () => (require("./io/index.ts") as typeof import("./io/index.ts")).IOSource,
)
const memoryUsagePlugin = lazyPlugin<SourceClass>(
  () => (require("./memory-usage/options.ts") as typeof import("./memory-usage/options.ts")).options,
  () => (require("./memory-usage/index.ts") as typeof import("./memory-usage/index.ts")).MemoryUsageSource,
)
const processPlugin = lazyPlugin<SourceClass>(
  () => (require("./process/options.ts") as typeof import("./process/options.ts")).options,
  () => (require("./process/index.ts") as typeof import("./process/index.ts")).ProcessSource,
)
const snmpGetPlugin = lazyPlugin<SourceClass>(
  () => (require("./snmp-get/options.ts") as typeof import("./snmp-get/options.ts")).options,
  () => (require("./snmp-get/index.ts") as typeof import("./snmp-get/index.ts")).SnmpGetSource,
)
const smaPvModbusPlugin = lazyPlugin<SourceClass>(
  () => (require("./sma-pv-modbus/options.ts") as typeof import("./sma-pv-modbus/options.ts")).options,
  () => (require("./sma-pv-modbus/index.ts") as typeof import("./sma-pv-modbus/index.ts")).SmaPvModbusSource,
)
const bindPlugin = lazyPlugin<SourceClass>(
  () => (require("./bind/options.ts") as typeof import("./bind/options.ts")).options,
  () => (require("./bind/index.ts") as typeof import("./bind/index.ts")).BindSource,
)
const plexPlugin = lazyPlugin<SourceClass>(
  () => (require("./plex/options.ts") as typeof import("./plex/options.ts")).options,
  () => (require("./plex/index.ts") as typeof import("./plex/index.ts")).PlexSource,
)
const sensorsPlugin = lazyPlugin<SourceClass>(
  () => (require("./sensors/options.ts") as typeof import("./sensors/options.ts")).options,
  () => (require("./sensors/index.ts") as typeof import("./sensors/index.ts")).SensorsSource,
)
const smartCtlPlugin = lazyPlugin<SourceClass>(
  () => (require("./smart-ctl/options.ts") as typeof import("./smart-ctl/options.ts")).options,
  () => (require("./smart-ctl/index.ts") as typeof import("./smart-ctl/index.ts")).SmartCtlSource,
)
const viessmannPlugin = lazyPlugin<SourceClass>(
  () => (require("./viessmann/options.ts") as typeof import("./viessmann/options.ts")).options,
  () => (require("./viessmann/index.ts") as typeof import("./viessmann/index.ts")).ViessmannSource,
)
const zfsPlugin = lazyPlugin<SourceClass>(
  () => (require("./zfs/options.ts") as typeof import("./zfs/options.ts")).options,
  () => (require("./zfs/index.ts") as typeof import("./zfs/index.ts")).ZfsSource,
)
const certificatePlugin = lazyPlugin<SourceClass>(
  () => (require("./certificate/options.ts") as typeof import("./certificate/options.ts")).options,
  () => (require("./certificate/index.ts") as typeof import("./certificate/index.ts")).CertificateSource,
)
const espHomePlugin = lazyPlugin<SourceClass>(
  () => (require("./esp-home/options.ts") as typeof import("./esp-home/options.ts")).options,
  () => (require("./esp-home/index.ts") as typeof import("./esp-home/index.ts")).EspHomeSource,
)
const httpIngressPlugin = lazyPlugin<SourceClass>(
  () => (require("./http-ingress/options.ts") as typeof import("./http-ingress/options.ts")).options,
  () => (require("./http-ingress/index.ts") as typeof import("./http-ingress/index.ts")).HttpIngressSource,
)
const tpLinkEapPlugin = lazyPlugin<SourceClass>(
  () => (require("./tp-link-eap/options.ts") as typeof import("./tp-link-eap/options.ts")).options,
  () => (require("./tp-link-eap/index.ts") as typeof import("./tp-link-eap/index.ts")).TpLinkEapSource,
)
const zodiacPoolPlugin = lazyPlugin<SourceClass>(
  () => (require("./zodiac-pool/options.ts") as typeof import("./zodiac-pool/options.ts")).options,
  () => (require("./zodiac-pool/index.ts") as typeof import("./zodiac-pool/index.ts")).ZodiacPoolSource,
)
const openhabPlugin = lazyPlugin<SourceClass>(
  () => (require("./openhab/options.ts") as typeof import("./openhab/options.ts")).options,
  () => (require("./openhab/index.ts") as typeof import("./openhab/index.ts")).OpenhabSource,
)
const evccPlugin = lazyPlugin<SourceClass>(
  () => (require("./evcc/options.ts") as typeof import("./evcc/options.ts")).options,
  () => (require("./evcc/index.ts") as typeof import("./evcc/index.ts")).EvccSource,
)
const pmccPlugin = lazyPlugin<SourceClass>(
  () => (require("./pmcc/options.ts") as typeof import("./pmcc/options.ts")).options,
  () => (require("./pmcc/index.ts") as typeof import("./pmcc/index.ts")).PmccSource,
)
const smaEnergyMeterPlugin = lazyPlugin<SourceClass>(
  () => (require("./sma-energy-meter/options.ts") as typeof import("./sma-energy-meter/options.ts")).options,
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
