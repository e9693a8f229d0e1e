/**
 * The `tls` and `basicAuth` keys of pollect's own HTTP servers (the exporter, the status page):
 * one schema, so both take the same files and the same bcrypt hashes, as node_exporter's web config.
 *
 * @example
 * v.object({ port: v.number(), tls: tlsServerField(), basicAuth: basicAuthField("The user name scrapers send.") })
 */
import * as v from "valibot"

/** `{certFile, keyFile}`: serve HTTPS; paths relative to the config file's folder. */
export const tlsServerField = () =>
  v.optional(
    v.pipe(
      v.object({
        certFile: v.pipe(v.string(), v.nonEmpty(), v.description("The certificate (chain), PEM; relative to the config file's folder.")),
        keyFile: v.pipe(v.string(), v.nonEmpty(), v.description("Its private key, PEM; relative to the config file's folder.")),
      }),
      v.description("Serve HTTPS with this certificate and key."),
    ),
  )

/** `{user, passwordHash}`: require HTTP basic auth against a bcrypt hash. */
export const basicAuthField = (user = "The user name.") =>
  v.optional(
    v.pipe(
      v.object({
        user: v.pipe(v.string(), v.nonEmpty(), v.description(user)),
        passwordHash: v.pipe(
          v.string(),
          v.regex(/^\$2[aby]?\$\d\d\$[./A-Za-z0-9]{53}$/, "must be a bcrypt hash ($2y$10$...), e.g. from htpasswd -nBC 10 user"),
          v.description(
            "A bcrypt hash of the password, as in node_exporter's web config: `htpasswd -nBC 10 prometheus` (apache2-utils) makes one.",
          ),
        ),
      }),
      v.description("Require HTTP basic auth (use it with `tls`, or the password crosses the network readable)."),
    ),
  )
