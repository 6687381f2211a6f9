/**
 * The embedded development defaults of `npm run dev`: mock models, auth bypass and the docs
 * pages on, so the gateway works on a fresh machine with no keys. Real environment variables
 * and `.env` still win over these.
 */
export const developmentDefaults: Readonly<Record<string, string>> = {
  AIGW_MOCK_MODEL_RESPONSES: "true",
  AIGW_AUTH__BYPASS_EXTERNAL: "true",
  AIGW_FASTAPI__DOCS_URL: "/docs",
  AIGW_FASTAPI__OPENAPI_URL: "/openapi.json",
  AIGW_FASTAPI__REDOC_URL: "/redoc",
  AIGW_LOGGING__FORMAT_JSON: "false",
}
