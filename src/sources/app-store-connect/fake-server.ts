/**
 * A fake App Store Connect API on loopback: GET /v1/salesReports with Apple's filters, bearer
 * JWT checked like Apple documents it (ES256, `kid` header, iss = issuer ID,
 * aud "appstoreconnect-v1", exp at most 20 minutes after iat), gzip TSV bodies
 * (application/a-gzip) and Apple's JSON error bodies. The reports it serves are set by the test
 * or a golden case's recorded `report.tsv`.
 */
import { decodeProtectedHeader, jwtVerify, type CryptoKey } from "jose"
import { type FakeServer, serveFake } from "../../../test/helpers/fake-server.ts"

export interface AscFakeOptions {
  publicKey: CryptoKey
  keyId: string
  issuerId: string
  vendorNumber: string
  /** Report TSV text (or a 404 reason) per reportDate (YYYY-MM-DD) at start. */
  reports?: Record<string, ReportEntry>
}

export type ReportEntry = string | "no-sales" | "not-yet"

export interface AscFake extends FakeServer {
  readonly state: {
    /** Report TSV text per reportDate, or a 404 reason. */
    reports: Map<string, ReportEntry>
    downloads: number
    requests: number
    /** The next N requests answer 500. */
    failNext: number
    /** The next N requests answer 200 with bytes that are not gzip. */
    garbageNext: number
    lastClaims: Record<string, unknown> | undefined
    lastQuery: URLSearchParams | undefined
  }
}

const errorBody = (status: number, code: string, title: string, detail: string) =>
  Response.json({ errors: [{ id: crypto.randomUUID(), status: String(status), code, title, detail }] }, { status })

export function startFakeAsc(opts: AscFakeOptions): AscFake {
  const state: AscFake["state"] = {
    reports: new Map<string, ReportEntry>(Object.entries(opts.reports ?? {})),
    downloads: 0,
    requests: 0,
    failNext: 0,
    garbageNext: 0,
    lastClaims: undefined,
    lastQuery: undefined,
  }

  const unauthorized = () =>
    errorBody(
      401,
      "NOT_AUTHORIZED",
      "Authentication credentials are missing or invalid.",
      "Provide a properly configured and signed bearer token, and make sure that it has not expired.",
    )

  async function authorize(request: Request): Promise<Response | null> {
    const header = request.headers.get("authorization") ?? ""
    const token = header.startsWith("Bearer ") ? header.slice(7) : ""
    if (!token) return unauthorized()
    try {
      const protectedHeader = decodeProtectedHeader(token)
      if (protectedHeader.kid !== opts.keyId || protectedHeader.alg !== "ES256") return unauthorized()
      const { payload } = await jwtVerify(token, opts.publicKey, {
        algorithms: ["ES256"],
        audience: "appstoreconnect-v1",
        issuer: opts.issuerId,
      })
      if (typeof payload.exp !== "number" || typeof payload.iat !== "number" || payload.exp - payload.iat > 20 * 60) return unauthorized()
      state.lastClaims = payload as Record<string, unknown>
      return null
    } catch {
      return unauthorized()
    }
  }

  const server = serveFake(async (request, url) => {
    state.requests++
    if (url.pathname !== "/v1/salesReports")
      return errorBody(
        404,
        "NOT_FOUND",
        "The specified resource does not exist",
        `The path provided does not match a defined resource type.`,
      )
    const denied = await authorize(request)
    if (denied) return denied
    if (state.failNext > 0) {
      state.failNext--
      return errorBody(
        500,
        "UNEXPECTED_ERROR",
        "An unexpected error occurred.",
        "An unexpected error occurred on the server side. If this issue continues, contact us at https://developer.apple.com/contact/.",
      )
    }
    if (state.garbageNext > 0) {
      state.garbageNext--
      return new Response("<html>maintenance</html>", { headers: { "content-type": "application/a-gzip" } })
    }
    if ((request.headers.get("accept") ?? "") !== "application/a-gzip") {
      return errorBody(
        406,
        "NOT_ACCEPTABLE",
        "The specified format is not acceptable.",
        "The provided Accept header is not supported for this request. Allowed: application/a-gzip",
      )
    }
    const q = url.searchParams
    state.lastQuery = q
    const expect: Record<string, string> = {
      "filter[frequency]": "DAILY",
      "filter[reportType]": "SALES",
      "filter[reportSubType]": "SUMMARY",
    }
    for (const [key, value] of Object.entries(expect)) {
      if (q.get(key) !== value)
        return errorBody(
          400,
          "PARAMETER_ERROR.INVALID",
          "A parameter has an invalid value",
          `'${q.get(key)}' is not a valid value for ${key}`,
        )
    }
    if (q.get("filter[vendorNumber]") !== opts.vendorNumber) {
      return errorBody(
        403,
        "FORBIDDEN_ERROR",
        "This request is forbidden for security reasons",
        "You are not permitted to download reports for this vendor number.",
      )
    }
    const date = q.get("filter[reportDate]") ?? ""
    const entry = state.reports.get(date)
    if (entry === undefined || entry === "no-sales") {
      return errorBody(404, "NOT_FOUND", "The specified resource does not exist", "There were no sales for the date specified.")
    }
    if (entry === "not-yet") {
      return errorBody(
        404,
        "NOT_FOUND",
        "The specified resource does not exist",
        "Report is not available yet. Daily reports for the Americas are available by 5 am Pacific Time.",
      )
    }
    state.downloads++
    return new Response(Bun.gzipSync(new TextEncoder().encode(entry)), { headers: { "content-type": "application/a-gzip" } })
  })

  return { ...server, state }
}

/** A Summary Sales Report (version 1_0 columns) for the given rows. */
export function salesTsv(rows: { sku: string; type: string; units: number; title?: string }[]): string {
  const header = [
    "Provider",
    "Provider Country",
    "SKU",
    "Developer",
    "Title",
    "Version",
    "Product Type Identifier",
    "Units",
    "Developer Proceeds",
    "Begin Date",
    "End Date",
    "Customer Currency",
    "Country Code",
    "Currency of Proceeds",
    "Apple Identifier",
    "Customer Price",
    "Promo Code",
    "Parent Identifier",
    "Subscription",
    "Period",
    "Category",
    "CMB",
    "Device",
    "Supported Platforms",
    "Proceeds Reason",
    "Preserved Pricing",
    "Client",
    "Order Type",
  ]
  const lines = rows.map((r) =>
    [
      "APPLE",
      "US",
      r.sku,
      "Example Dev",
      r.title ?? r.sku,
      "1.0",
      r.type,
      String(r.units),
      "0",
      "01/01/2026",
      "01/01/2026",
      "USD",
      "US",
      "USD",
      "1234567890",
      "0",
      "",
      "",
      "",
      "",
      "Utilities",
      "",
      "iPhone",
      "iOS",
      "",
      "",
      "",
      "",
    ].join("\t"),
  )
  return [header.join("\t"), ...lines].join("\n") + "\n"
}
