/**
 * The Duo Chat agent API (SPEC §4.1): `POST /v1/chat/agent`, scope `duo_chat`.
 */
import * as Schema from "effect/Schema"
import * as HttpApiEndpoint from "effect/http-api/HttpApiEndpoint"
import * as HttpApiGroup from "effect/http-api/HttpApiGroup"
import * as OpenApi from "effect/http-api/OpenApi"
import { Authentication } from "../auth/Authentication.ts"
import { RequiredScopes } from "../auth/scopes.ts"
import { BoundedString, LaxBoolean, LaxInt } from "../schema/Lax.ts"
import { maxPromptLength, PromptMessage } from "./v2Code.ts"
import { optionalNullable } from "../schema/Nullable.ts"

const UnitInterval = Schema.Finite.check(Schema.isBetween({ minimum: 0, maximum: 1 }))

export const ChatParams = Schema.Struct({
  stop_sequences: optionalNullable(
    Schema.Array(BoundedString(225)).check(
      Schema.isBetweenLength(1, 10, { expected: "1 to 10 stop sequences" }),
    ),
  ),
  temperature: optionalNullable(UnitInterval),
  max_tokens_to_sample: optionalNullable(LaxInt.check(Schema.isBetween({ minimum: 1, maximum: 2048 }))),
  top_k: optionalNullable(LaxInt.check(Schema.isGreaterThanOrEqualTo(0))),
  top_p: optionalNullable(UnitInterval),
})
export type ChatParams = typeof ChatParams.Type

export const ChatPayload = Schema.Struct({
  content: Schema.Union([
    BoundedString(maxPromptLength),
    Schema.Array(PromptMessage).check(Schema.isBetweenLength(1, 100, { expected: "1 to 100 messages" })),
  ]),
  provider: optionalNullable(Schema.Literals(["anthropic", "vertex-ai", "openai-compatible"])),
  model: optionalNullable(BoundedString(100)),
  params: optionalNullable(ChatParams),
})
export type ChatPayload = typeof ChatPayload.Type

export const ChatComponent = Schema.Struct({
  type: BoundedString(100),
  metadata: Schema.Struct({ source: BoundedString(100), version: BoundedString(100) }),
  payload: ChatPayload,
})

export const ChatBody = Schema.Struct({
  prompt_components: Schema.Array(ChatComponent).check(
    Schema.isBetweenLength(1, 1, { expected: "exactly one prompt component" }),
  ),
  stream: optionalNullable(LaxBoolean),
}).annotate({
  examples: [{
    prompt_components: [{
      type: "prompt",
      metadata: { source: "GitLab EE", version: "17.0.0" },
      payload: {
        content: "What does a Dockerfile HEALTHCHECK do?",
        provider: "anthropic",
        model: "claude-2.1",
      },
    }],
  }],
})

export const ChatResponse = Schema.Struct({
  response: Schema.String,
  metadata: Schema.Struct({ provider: Schema.String, model: Schema.String, timestamp: Schema.Int }),
})
export type ChatResponse = typeof ChatResponse.Type

export class ChatApi extends HttpApiGroup.make("chat")
  .add(
    HttpApiEndpoint.post("agent", "/v1/chat/agent", { payload: ChatBody, success: ChatResponse }).annotate(
      OpenApi.Description,
      "Duo Chat: a prompt string or a list of messages to the chat model. With `stream: true` the answer is " +
        "`text/event-stream`: the model's text chunks, raw. Upstream failures: 502 (status, connection), " +
        "504 (timeout), 503 (concurrency cap).",
    ),
  )
  .middleware(Authentication)
  .annotate(RequiredScopes, ["duo_chat"])
  .annotateMerge(OpenApi.annotations({ title: "Duo Chat" })) {}
