// A thinking model's answers through the official OpenAI Node SDK:
//   node server-openai-think.cjs PORT EXPECTED_JSON
// EXPECTED_JSON (from server-test.py's think scenario): the seed and
// question of a sampled answer that thinks, its reasoning and content as
// llama-server's default reasoning format splits them, and the prompt's
// token count with thinking on and off. Checks message.reasoning_content,
// the streamed delta.reasoning_content and delta.content, and
// chat_template_kwargs: {enable_thinking: false} as an extra body field.
// Exits non-zero with a message on the first difference.
const OpenAI = require("openai");

function check(condition, message) {
  if (!condition) {
    console.error("FAIL: " + message);
    process.exit(1);
  }
}

async function main() {
  const [port, expectedJson] = process.argv.slice(2);
  const want = JSON.parse(expectedJson);
  const client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: "none",
                              maxRetries: 0 });
  const messages = [{ role: "user", content: want.question }];
  const body = { model: "m", messages, max_tokens: want.max_tokens, temperature: 1.5,
                 top_p: 1, top_k: 0, seed: want.seed };

  const chat = await client.chat.completions.create(body);
  const message = chat.choices[0].message;
  check(message.reasoning_content === want.reasoning,
        `reasoning_content ${JSON.stringify(message.reasoning_content)}`);
  check(message.content === want.content, `content ${JSON.stringify(message.content)}`);

  const stream = await client.chat.completions.create({ ...body, stream: true });
  let reasoning = "", content = "";
  for await (const chunk of stream) {
    const delta = chunk.choices.length ? chunk.choices[0].delta : {};
    if (delta.reasoning_content) {
      check(content === "", "reasoning after content");
      reasoning += delta.reasoning_content;
    }
    content += delta.content || "";
  }
  check(reasoning === want.reasoning, `streamed reasoning ${JSON.stringify(reasoning)}`);
  check(content === want.content, `streamed content ${JSON.stringify(content)}`);

  for (const [kwargs, tokens] of [[{ enable_thinking: false }, want.off],
                                   [{ enable_thinking: true }, want.on]]) {
    const answer = await client.chat.completions.create({
      model: "m", messages, max_tokens: 1, chat_template_kwargs: kwargs });
    check(answer.usage.prompt_tokens === tokens,
          `${JSON.stringify(kwargs)}: ${answer.usage.prompt_tokens} prompt tokens, not ${tokens}`);
  }
  console.log("openai-node think: ok");
}

main().catch((e) => { console.error("FAIL: " + e); process.exit(1); });
