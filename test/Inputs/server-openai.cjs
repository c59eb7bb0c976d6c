// Talks to a running trit-server with the official OpenAI Node SDK:
//   node server-openai.cjs PORT MODEL EXPECTED_CHAT_TEXT
// Chat, streamed chat with usage, completions, models, and a 400 as the SDK's
// BadRequestError. Exits non-zero with a message on the first difference.
const OpenAI = require("openai");

function check(condition, message) {
  if (!condition) {
    console.error("FAIL: " + message);
    process.exit(1);
  }
}

async function main() {
  const [port, model, expected] = process.argv.slice(2);
  const client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: "secret",
                              maxRetries: 0 });
  const messages = [{ role: "user", content: "Tell me a joke" }];

  const models = await client.models.list();
  check(models.data.length === 1 && models.data[0].id === model, "models: " + JSON.stringify(models.data));

  const chat = await client.chat.completions.create({ model, messages, max_tokens: 24, temperature: 0 });
  check(chat.choices[0].message.content === expected,
        `chat ${JSON.stringify(chat.choices[0].message.content)} != ${JSON.stringify(expected)}`);
  check(chat.usage.total_tokens === chat.usage.prompt_tokens + chat.usage.completion_tokens, "usage");

  const stream = await client.chat.completions.create({
    model, messages, max_tokens: 24, temperature: 0, stream: true,
    stream_options: { include_usage: true } });
  let text = "";
  let usage = null;
  for await (const chunk of stream) {
    if (chunk.choices.length) text += chunk.choices[0].delta.content || "";
    if (chunk.usage) usage = chunk.usage;
  }
  check(text === expected, `streamed ${JSON.stringify(text)}`);
  check(usage && usage.completion_tokens === chat.usage.completion_tokens, "stream usage");

  const completion = await client.completions.create({ model, prompt: "The cat", max_tokens: 8,
                                                       temperature: 0 });
  check(completion.choices[0].text.length > 0 && completion.usage.completion_tokens <= 8, "completion");

  try {
    await client.chat.completions.create({ model, messages, n: 3 });
    check(false, "n = 3 was accepted");
  } catch (e) {
    check(e instanceof OpenAI.BadRequestError && e.status === 400, "n = 3: " + e);
  }
  console.log("openai-node: ok");
}

main().catch((e) => { console.error("FAIL: " + e); process.exit(1); });
