/**
 * The X-Ray libraries API (SPEC §4.2): `POST /v1/x-ray/libraries`, scope `code_suggestions`.
 */
import * as Schema from "effect/Schema"
import * as HttpApiEndpoint from "effect/http-api/HttpApiEndpoint"
import * as HttpApiGroup from "effect/http-api/HttpApiGroup"
import * as OpenApi from "effect/http-api/OpenApi"
import { Authentication } from "../auth/Authentication.ts"
import { RequiredScopes } from "../auth/scopes.ts"
import { BoundedString } from "../schema/Lax.ts"
import { maxPromptLength } from "./v2Code.ts"

export const XRayComponent = Schema.Struct({
  type: Schema.Literal("x_ray_package_file_prompt"),
  payload: Schema.Struct({
    prompt: BoundedString(maxPromptLength),
    provider: Schema.Literal("anthropic"),
    model: Schema.Literals(["claude-instant-1.2", "claude-2.0"]),
  }),
  metadata: Schema.optional(Schema.NullOr(
    Schema.Record(BoundedString(100), BoundedString(255)).check(
      Schema.makeFilter((record) => Object.keys(record).length <= 10, {
        expected: "at most 10 metadata entries",
      }),
    ),
  )),
})

export const XRayBody = Schema.Struct({
  prompt_components: Schema.Array(XRayComponent).check(
    Schema.isBetweenLength(1, 1, { expected: "exactly one prompt component" }),
  ),
}).annotate({
  examples: [{
    prompt_components: [{
      type: "x_ray_package_file_prompt",
      payload: {
        prompt: 'Human: List the libraries in this package.json: {"dependencies": {"effect": "4.1.0"}}',
        provider: "anthropic",
        model: "claude-2.0",
      },
    }],
  }],
})

export const XRayResponse = Schema.Struct({ response: Schema.String })

export class XRayApi extends HttpApiGroup.make("xray")
  .add(
    HttpApiEndpoint.post("libraries", "/v1/x-ray/libraries", { payload: XRayBody, success: XRayResponse })
      .annotate(
        OpenApi.Description,
        "Repository X-Ray: the prompt goes to the model as it is; the answer is its text.",
      ),
  )
  .middleware(Authentication)
  .annotate(RequiredScopes, ["code_suggestions"])
  .annotateMerge(OpenApi.annotations({ title: "X-Ray" })) {}
