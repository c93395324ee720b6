// Replay recorded HTTP exchanges through real Node.js clients: the official openai-node SDK
// (npm `openai`) and, when installed, the Vercel AI SDK's OpenAI-compatible provider
// (npm `@ai-sdk/openai-compatible`, the chat model under `ai`'s streamText/generateText).
// stdin: JSON list of {id, how, url, hold_ms, ai}
//   how: "create" | "stream" | "models"; url: the base URL (…/v1) under which the Python
//   side (conformance/oracles_node.py) serves the recorded answer over a local socket,
//   framed as the target framed it; hold_ms: how long a silent response is waited for;
//   ai: also replay it through the AI SDK's provider (doGenerate / doStream).
// stdout: one JSON line per item: {id, ok, error_type, message, chunks, ai}
//   ai: null, or {ok, error_type, message, chunks, calls} (chunks: the provider's stream
//   parts or content parts; calls: the tool calls it assembled)
// Both clients use Node's own fetch, so its HTTP stack judges the recorded framing.
import { createRequire } from "node:module";
import path from "node:path";

const dir = process.argv[2];
const require = createRequire(path.join(dir, "package.json"));
const { default: OpenAI } = await import(require.resolve("openai"));
let aiProvider = null;
try {
  aiProvider = await import(require.resolve("@ai-sdk/openai-compatible"));
} catch {
  aiProvider = null; // not installed: the Python side reports the AI SDK checks skipped
}

const input = JSON.parse(await new Promise((resolve) => {
  let data = "";
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (c) => (data += c));
  process.stdin.on("end", () => resolve(data));
}));

for (const item of input) {
  const client = new OpenAI({ apiKey: "sk-replay", baseURL: item.url, maxRetries: 0 });
  const out = { id: item.id, ...(await guarded(item.hold_ms, (signal, o) => replay(client, item, o, { signal }))) };
  out.ai = item.ai && aiProvider ? await guarded(item.hold_ms, (signal, o) => replayAi(item, o, signal)) : null;
  process.stdout.write(JSON.stringify(out) + "\n");
}

// Run `body(signal, out)`; its outcome {ok, error_type, message, chunks}: a throw, or
// no byte and no end for hold_ms, is a failure (error_type "Timeout" for the latter).
async function guarded(holdMs, body) {
  const out = { ok: true, error_type: null, message: null, chunks: 0, calls: 0 };
  const abort = new AbortController();
  let timer;
  const hung = new Promise((_, reject) => {
    timer = setTimeout(() => {
      const err = new Error(`no byte and no end of the response for ${holdMs} ms`);
      err.name = "Timeout";
      abort.abort();
      reject(err);
    }, holdMs);
  });
  try {
    await Promise.race([body(abort.signal, out), hung]);
  } catch (err) {
    out.ok = false;
    out.error_type = err?.name === "Timeout" ? "Timeout" : (err?.constructor?.name ?? typeof err);
    out.message = describe(err).slice(0, 300);
  } finally {
    clearTimeout(timer);
  }
  return out;
}

// One line: the error's message; for a chunk the AI SDK's schema refused, where (the
// schema's issues, e.g. "choices: expected array") rather than the whole chunk again.
function describe(err) {
  const issues = err?.cause?.issues;
  if (Array.isArray(issues)) {
    return `${String(err.message).split(":")[0]}: ${flatten(issues, []).join("; ")}`;
  }
  const cause = err?.cause ? ` (${err.cause?.message ?? err.cause})` : "";
  return String(err?.message ?? err).split("\n")[0] + cause;
}

// zod issues as "path: message"; of a union (the chunk or an {error} body), the first
// branch: the chunk's schema.
function flatten(issues, prefix) {
  return issues.flatMap((issue) => {
    const where = [...prefix, ...(issue.path ?? [])];
    if (issue.code === "invalid_union" && Array.isArray(issue.errors?.[0])) {
      return flatten(issue.errors[0], where);
    }
    return [`${where.join(".") || "(chunk)"}: ${issue.message}`];
  });
}

async function replay(client, item, out, options) {
  const messages = [{ role: "user", content: "replay" }];
  if (item.how === "stream") {
    const body = { model: "replay", messages, stream: true };
    const stream = await client.chat.completions.create(body, options);
    for await (const _chunk of stream) out.chunks += 1;
  } else if (item.how === "models") {
    for await (const _m of client.models.list(options)) out.chunks += 1;
  } else {
    const completion = await client.chat.completions.create({ model: "replay", messages }, options);
    if (typeof completion?.choices?.[0]?.message?.content !== "string"
        && !completion?.choices?.[0]?.message?.tool_calls) {
      throw new TypeError("choices[0].message has neither content nor tool_calls");
    }
  }
}

// The AI SDK's provider, as streamText/generateText call it. A stream never throws there:
// what breaks it arrives as an `error` part (a chunk its schema refuses, a tool call with
// no name, a stream that ends with no finish_reason), which streamText hands to onError
// and ends the step with finishReason "error": the first one is raised here. A streamed
// tool call whose assembled input is not JSON is what streamText then fails on
// (InvalidToolInputError), so it is raised too.
async function replayAi(item, out, signal) {
  const provider = aiProvider.createOpenAICompatible({
    name: "replay", baseURL: item.url, apiKey: "sk-replay", includeUsage: true,
  });
  const model = provider.chatModel("replay");
  const options = { prompt: [{ role: "user", content: [{ type: "text", text: "replay" }] }], abortSignal: signal };
  if (item.how === "stream") {
    const { stream } = await model.doStream(options);
    for await (const part of stream) {
      out.chunks += 1;
      if (part.type === "error") {
        const err = part.error instanceof Error ? part.error : new Error(JSON.stringify(part.error));
        throw err;
      }
      if (part.type === "tool-call") {
        out.calls += 1;
        parseToolInput(part);
      }
    }
  } else {
    const result = await model.doGenerate(options);
    for (const part of result.content) {
      out.chunks += 1;
      if (part.type === "tool-call") {
        out.calls += 1;
        parseToolInput(part);
      }
    }
  }
}

class InvalidToolInputError extends Error {}

// As streamText parses a call's input: blank is {}, anything else must be JSON.
function parseToolInput(part) {
  if (part.input.trim() === "") return;
  try {
    JSON.parse(part.input);
  } catch {
    throw new InvalidToolInputError(
      `tool call ${part.toolName}: its input is not JSON: ${part.input.slice(0, 80)}`);
  }
}
