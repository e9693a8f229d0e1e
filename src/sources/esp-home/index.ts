/**
 * `EspHome`: the sensors and binary sensors of an ESPHome device, over its native API (TCP 6053,
 * plain text or Noise-encrypted with the device's `api: encryption: key:`). One connection is
 * kept open and subscribed to state updates; a probe reports the newest state of each entity.
 */
import { Source, ValueSet } from "../../api.ts"
import { EspHomeClient, EspHomeError } from "./client.ts"
import type { Entity } from "./messages.ts"
import { float32Shortest } from "./messages.ts"
import { metrics } from "./metrics.ts"
import { decodePsk } from "./psk.ts"
import { options, type EspHomeOptions } from "./options.ts"

export class EspHomeSource extends Source<EspHomeOptions> {
  static override readonly options = options
  static override readonly metrics = metrics
  static readonly defaultTimeout = 15

  private client?: EspHomeClient

  constructor(config: EspHomeSource["config"], ctx: EspHomeSource["ctx"]) {
    super(config, ctx)
    if (config.psk) ctx.registerSecret(config.psk)
  }

  override async probe(): Promise<ValueSet[]> {
    if (!this.client) {
      this.client = new EspHomeClient({
        host: this.config.host,
        port: this.config.port,
        psk: this.config.psk ? decodePsk(this.config.psk) : undefined,
        log: this.ctx.log,
      })
    }
    const client = this.client
    if (!client.isReady()) await client.connected(this.ctx.signal)
    if (!client.isReady()) throw new EspHomeError(`${this.config.host}:${this.config.port}: not connected`)
    return stateSets(client.entities.values(), client.states)
  }

  override close(): void {
    this.client?.close()
  }
}

/**
 * The sets a probe reports, as pollect 1.2 names them: value name = the sensor's device class,
 * label `name` = the sensor's name. Entities without a state yet (NaN) are left out; of two
 * entities that would give the same series, the first listed is kept.
 */
export function stateSets(entities: Iterable<Entity>, states: ReadonlyMap<number, number>): ValueSet[] {
  const sensor = new ValueSet(metrics.sensor)
  const withoutClass = new ValueSet(metrics.sensorWithoutClass)
  const binary = new ValueSet(metrics.binarySensor)
  const seen = new Set<string>()
  for (const entity of entities) {
    const value = states.get(entity.key)
    if (value === undefined || Number.isNaN(value)) continue
    const name = entity.name || entity.objectId
    if (entity.kind === "sensor") {
      const id = `s\0${entity.deviceClass}\0${name}`
      if (seen.has(id)) continue
      seen.add(id)
      if (entity.deviceClass) sensor.add(float32Shortest(value), [name], entity.deviceClass)
      else withoutClass.add(float32Shortest(value), [name])
    } else {
      const valueName = entity.deviceClass ? `binary_${entity.deviceClass}` : "binary"
      const id = `b\0${valueName}\0${name}`
      if (seen.has(id)) continue
      seen.add(id)
      binary.add(value, [name], valueName)
    }
  }
  return [sensor, withoutClass, binary].filter((set) => set.values.length > 0)
}
