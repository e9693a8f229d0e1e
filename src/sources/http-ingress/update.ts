/** What a push asks for, and the declared metrics it is checked against. */

/** A declared metric (the config's `metrics` entry). */
export interface MetricDefinition {
  readonly type: "gauge" | "counter"
  /** Label names, in the order the series carry them. */
  readonly labels: readonly string[]
}

/** One series' new value from a push: label values in the declared order. */
export interface Update {
  readonly metric: string
  readonly labelValues: readonly string[]
  readonly value: number
}

/** A push that cannot be applied: the HTTP status and the exact problem, for the reply. */
export class PushError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** A short word for the kind of problem (logged once per kind). */
    readonly reason: string,
  ) {
    super(message)
  }
}

/** Longest label value accepted, in characters. */
export const MAX_LABEL_VALUE = 1024

/**
 * Checks one series against its declaration and orders its label values as declared: every
 * declared label present, no other label, values within MAX_LABEL_VALUE.
 */
export function checkedUpdate(
  definitions: ReadonlyMap<string, MetricDefinition>,
  metric: string,
  labels: ReadonlyMap<string, string>,
  value: number,
  where: string,
): Update {
  const definition = definitions.get(metric)
  if (!definition) {
    const known = [...definitions.keys()].map((name) => JSON.stringify(name)).join(", ")
    throw new PushError(
      400,
      `${where}: metric ${JSON.stringify(metric).slice(0, 200)} is not declared (declared: ${known})`,
      "undeclared metric",
    )
  }
  for (const name of labels.keys()) {
    if (!definition.labels.includes(name))
      throw new PushError(
        400,
        `${where}: label ${JSON.stringify(name).slice(0, 200)} is not declared for ${metric} (declared: ${definition.labels.join(", ") || "none"})`,
        "undeclared label",
      )
  }
  const labelValues = definition.labels.map((name) => {
    const text = labels.get(name)
    if (text === undefined) throw new PushError(400, `${where}: label ${JSON.stringify(name)} is missing`, "missing label")
    if (text.length > MAX_LABEL_VALUE)
      throw new PushError(400, `${where}: label ${JSON.stringify(name)} is longer than ${MAX_LABEL_VALUE} characters`, "label too long")
    return text
  })
  if (Number.isNaN(value) && definition.type === "counter")
    throw new PushError(400, `${where}: a counter cannot be incremented by NaN`, "bad value")
  if (definition.type === "counter" && value < 0)
    throw new PushError(400, `${where}: a counter only goes up; ${value} is negative`, "bad value")
  return { metric, labelValues, value }
}
