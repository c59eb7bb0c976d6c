//===- Server.cpp - the OpenAI-compatible HTTP server ---------------------===//
//
// The HTTP side: routes, the API key, the error objects, server-sent events,
// /metrics; and the process around it: the command line, loading the model
// while /health says 503, and SIGTERM (stop taking requests, let those in
// flight finish, exit 0).
//
//===----------------------------------------------------------------------===//

#include "trit/Server/Server.h"
#include "trit/Runtime/Artifact.h"
#include "trit/Runtime/CommandLine.h"
#include "trit/Runtime/HostThreads.h"
#include "trit/Server/Engine.h"
#include "trit/Server/OpenAI.h"

#include <httplib.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <mutex>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <thread>

using namespace trit;
using namespace trit::server;

namespace {

constexpr const char *kJson = "application/json; charset=utf-8";

void sendError(httplib::Response &res, const ApiError &error) {
  res.status = error.status;
  res.set_content(dumpJson(errorBody(error)), kJson);
}

ApiError unavailable(const std::string &message) {
  ApiError e;
  e.status = 503;
  e.type = "unavailable_error";
  e.message = message;
  return e;
}

/// What the thread serving a connection knows of the request it is on.
/// httplib runs a connection's handler, content provider and logger on the
/// thread that reads it, so this is thread-local.
struct RequestContext {
  int socket = -1;
  std::chrono::steady_clock::time_point start;
  // A generation's, for the log line; -1: not a generation.
  int64_t promptTokens = -1, completionTokens = -1;
  const char *finish = nullptr;
};
thread_local RequestContext currentRequest;

/// httplib's server, which also tells handlers their connection's socket
/// (httplib 0.11.4 gives them no other way to notice that a client left
/// while they wait). Serves a connection as httplib::Server does.
class HttpServer : public httplib::Server {
  bool process_and_close_socket(socket_t sock) override {
    bool ok = httplib::detail::process_server_socket(
        svr_sock_, sock, keep_alive_max_count_, keep_alive_timeout_sec_,
        read_timeout_sec_, read_timeout_usec_, write_timeout_sec_,
        write_timeout_usec_,
        [&](httplib::Stream &stream, bool closeConnection,
            bool &connectionClosed) {
          currentRequest = {};
          currentRequest.socket = int(sock);
          currentRequest.start = std::chrono::steady_clock::now();
          bool result = process_request(stream, closeConnection,
                                        connectionClosed, nullptr);
          currentRequest = {};
          return result;
        });
    httplib::detail::shutdown_socket(sock);
    httplib::detail::close_socket(sock);
    return ok;
  }
};

/// Whether the client at the other end of `socket` is still there. One that
/// closed (or half-closed) its side has left, as httplib's own check for
/// streamed answers (is_socket_alive) also judges.
bool clientConnected(int socket) {
  if (socket < 0)
    return true;
  pollfd p = {socket, POLLIN, 0};
#ifdef POLLRDHUP
  p.events |= POLLRDHUP;
#endif
  if (poll(&p, 1, 0) <= 0)
    return true; // nothing to read: nothing happened
  if (p.revents & (POLLERR | POLLHUP | POLLNVAL))
    return false;
#ifdef POLLRDHUP
  if (p.revents & POLLRDHUP)
    return false;
#endif
  // Readable: the end of the stream (0), or a pipelined request.
  char c;
  ssize_t n = recv(socket, &c, 1, MSG_PEEK | MSG_DONTWAIT);
  return n > 0 ||
         (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR));
}

/// The HTTP front: routes requests to the engine once the model is loaded.
class Frontend {
public:
  Frontend(const ServerOptions &options, std::string program,
           std::string modelName)
      : options(options), program(std::move(program)),
        modelName(std::move(modelName)) {}

  HttpServer http;

  void setModel(Engine *e, const Tokenizer *t, int64_t vocab, int64_t ctx) {
    std::lock_guard<std::mutex> lock(mutex);
    engine = e;
    tokenizer = t;
    vocabSize = vocab;
    contextSize = ctx;
    ready = true;
  }
  /// From now on /health says 503 and new generations are refused.
  void beginDraining() { draining = true; }
  int inFlight() const { return active; }

  void install();

private:
  bool authorized(const httplib::Request &req) const;
  /// The Access-Control-Allow-Origin for `req`'s Origin, or "" for none.
  std::string allowedOrigin(const httplib::Request &req) const;
  void answerPreflight(const httplib::Request &req, httplib::Response &res);
  void log(const httplib::Request &req, const httplib::Response &res);
  void generate(const httplib::Request &req, httplib::Response &res,
                Endpoint endpoint);
  void metrics(httplib::Response &res);
  /// Parses the body as a JSON object, or answers 400.
  bool parseBody(const httplib::Request &req, httplib::Response &res,
                 json &body);
  ReasoningSettings reasoning() const {
    return {options.reasoningBudget != 0, options.reasoningFormat != "none"};
  }

  const ServerOptions &options;
  std::string program, modelName;
  std::mutex mutex;
  std::atomic<bool> ready{false}, draining{false};
  Engine *engine = nullptr;
  const Tokenizer *tokenizer = nullptr;
  int64_t vocabSize = 0, contextSize = 0;
  std::atomic<int> active{0};
  std::atomic<uint64_t> httpRequests{0}, httpErrors{0};
  int64_t started = std::chrono::duration_cast<std::chrono::seconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
};

bool Frontend::authorized(const httplib::Request &req) const {
  if (options.apiKey.empty())
    return true;
  std::string expected = "Bearer " + options.apiKey;
  std::string given = req.get_header_value("Authorization");
  // Compares every byte, whatever matches first.
  unsigned char differ = given.size() != expected.size();
  for (size_t i = 0; i < std::min(given.size(), expected.size()); ++i)
    differ |= static_cast<unsigned char>(given[i] ^ expected[i]);
  return differ == 0;
}

std::string Frontend::allowedOrigin(const httplib::Request &req) const {
  const std::string &allowed = options.corsOrigin;
  if (allowed == "*" || allowed.empty())
    return allowed;
  std::string origin = req.get_header_value("Origin");
  if (origin.empty())
    return "";
  for (size_t begin = 0; begin <= allowed.size();) {
    size_t end = std::min(allowed.find(',', begin), allowed.size());
    std::string entry = allowed.substr(begin, end - begin);
    entry.erase(0, entry.find_first_not_of(' '));
    entry.erase(entry.find_last_not_of(' ') + 1);
    if (entry == origin)
      return origin;
    begin = end + 1;
  }
  return "";
}

void Frontend::answerPreflight(const httplib::Request &req,
                               httplib::Response &res) {
  // Browsers send no Authorization with a preflight, so it needs no key.
  // The headers asked for are allowed as they are: a wildcard would not
  // cover Authorization, and the OpenAI SDKs send headers of their own.
  res.status = 200; // (204 would contradict the Content-Length httplib adds)
  res.set_header("Allow", "GET, POST, OPTIONS");
  if (allowedOrigin(req).empty())
    return;
  res.set_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
  std::string headers = req.get_header_value("Access-Control-Request-Headers");
  res.set_header("Access-Control-Allow-Headers",
                 headers.empty() ? "Authorization, Content-Type" : headers);
  res.set_header("Access-Control-Max-Age", "86400");
}

void Frontend::log(const httplib::Request &req, const httplib::Response &res) {
  // Probes and scrapers ask every few seconds; their lines would hide the
  // rest (llama-server leaves them out too).
  if (req.path == "/health" || req.path == "/v1/health" ||
      req.path == "/metrics")
    return;
  const RequestContext &r = currentRequest;
  double ms = std::chrono::duration<double, std::milli>(
                  std::chrono::steady_clock::now() - r.start)
                  .count();
  std::string line = program + ": " + req.remote_addr + " " + req.method + " " +
                     req.path + " " + std::to_string(res.status);
  if (r.promptTokens >= 0)
    line += " prompt=" + std::to_string(r.promptTokens) +
            " generated=" + std::to_string(r.completionTokens) +
            " finish=" + (r.finish ? r.finish : "cancelled");
  char time[32];
  std::snprintf(time, sizeof time, " %.1f ms\n", ms);
  line += time;
  // One write per line, so that lines of concurrent requests do not mix.
  std::fwrite(line.data(), 1, line.size(), stderr);
}

bool Frontend::parseBody(const httplib::Request &req, httplib::Response &res,
                         json &body) {
  body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) {
    sendError(res, {400,
                    "the request body is not valid JSON (or its strings are "
                    "not valid UTF-8)",
                    "invalid_request_error", "", ""});
    return false;
  }
  if (!body.is_object()) {
    sendError(res, {400, "the request body must be a JSON object",
                    "invalid_request_error", "", ""});
    return false;
  }
  return true;
}

void Frontend::install() {
  http.set_pre_routing_handler([this](const httplib::Request &req,
                                      httplib::Response &res) {
    ++httpRequests;
    if (req.method == "OPTIONS") {
      answerPreflight(req, res);
      return httplib::Server::HandlerResponse::Handled;
    }
    if (req.path == "/health" || req.path == "/v1/health")
      return httplib::Server::HandlerResponse::Unhandled;
    if (!authorized(req)) {
      ApiError e{401, "invalid API key: send the header 'Authorization: "
                      "Bearer KEY'",
                 "authentication_error", "", "invalid_api_key"};
      sendError(res, e);
      return httplib::Server::HandlerResponse::Handled;
    }
    if (!ready) {
      sendError(res, unavailable("Loading model"));
      return httplib::Server::HandlerResponse::Handled;
    }
    // Bodies are refused from their headers, before they are read: one
    // over the limit (httplib would read and drop it all), or one without a
    // length (httplib would keep a chunked body whole, however large).
    bool hasBody = req.method == "POST" || req.method == "PUT" ||
                   req.method == "PATCH";
    if (hasBody && req.has_header("Transfer-Encoding")) {
      res.set_header("Connection", "close");
      sendError(res, {411, "send the body with a Content-Length",
                      "invalid_request_error", "", ""});
      return httplib::Server::HandlerResponse::Handled;
    }
    if (hasBody && req.get_header_value<uint64_t>("Content-Length") >
                       uint64_t(options.payloadLimit)) {
      res.set_header("Connection", "close");
      sendError(res, {413,
                      "the request body is larger than " +
                          std::to_string(options.payloadLimit) + " bytes",
                      "invalid_request_error", "", ""});
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  // CORS, on every answer (errors too, so that a browser app can read
  // them): the server is meant to be called from web apps, as
  // llama-server is.
  http.set_post_routing_handler(
      [this](const httplib::Request &req, httplib::Response &res) {
        std::string origin = allowedOrigin(req);
        if (origin.empty())
          return;
        res.set_header("Access-Control-Allow-Origin", origin);
        if (origin != "*")
          res.set_header("Vary", "Origin");
      });
  if (!options.logDisable)
    http.set_logger([this](const httplib::Request &req,
                           const httplib::Response &res) { log(req, res); });
  // Errors that httplib answers itself (no route, a body over the limit)
  // get the API's error object too.
  http.set_error_handler([this](const httplib::Request &req,
                                httplib::Response &res) {
    ++httpErrors;
    if (!res.body.empty())
      return;
    ApiError e;
    e.status = res.status;
    switch (res.status) {
    case 404:
      e.type = "not_found_error";
      e.message = "no such endpoint: " + req.method + " " + req.path;
      break;
    case 413:
      e.message = "the request body is larger than " +
                  std::to_string(options.payloadLimit) + " bytes";
      break;
    default:
      e.message = httplib::detail::status_message(res.status);
      e.type = res.status >= 500 ? "server_error" : "invalid_request_error";
    }
    sendError(res, e);
  });

  auto health = [this](const httplib::Request &, httplib::Response &res) {
    if (!ready)
      return sendError(res, unavailable("Loading model"));
    if (draining)
      return sendError(res, unavailable("Shutting down"));
    res.set_content(dumpJson({{"status", "ok"}}), kJson);
  };
  http.Get("/health", health);
  http.Get("/v1/health", health); // llama-server's alias
  auto model = [this] {
    return json{{"id", modelName},
                {"object", "model"},
                {"created", started},
                {"owned_by", "trit"},
                {"meta", {{"n_vocab", vocabSize}, {"n_ctx", contextSize}}}};
  };
  auto models = [model](const httplib::Request &, httplib::Response &res) {
    res.set_content(
        dumpJson({{"object", "list"}, {"data", json::array({model()})}}),
        kJson);
  };
  http.Get("/v1/models", models);
  http.Get("/models", models);
  // OpenAI's "retrieve model".
  auto oneModel = [this, model](const httplib::Request &req,
                                httplib::Response &res) {
    if (req.matches[1] != modelName)
      return sendError(
          res, {404,
                "the model '" + req.matches[1].str() +
                    "' does not exist; this server has '" + modelName + "'",
                "invalid_request_error", "model", "model_not_found"});
    res.set_content(dumpJson(model()), kJson);
  };
  http.Get(R"(/v1/models/(.+))", oneModel);
  http.Get(R"(/models/(.+))", oneModel);
  for (const char *path : {"/v1/completions", "/completions"})
    http.Post(path, [this](const httplib::Request &req,
                           httplib::Response &res) {
      generate(req, res, Endpoint::Completions);
    });
  for (const char *path : {"/v1/chat/completions", "/chat/completions"})
    http.Post(path, [this](const httplib::Request &req,
                           httplib::Response &res) {
      generate(req, res, Endpoint::ChatCompletions);
    });
  // llama-server's: the prompt a chat request would generate from.
  http.Post("/apply-template", [this](const httplib::Request &req,
                                      httplib::Response &res) {
    json body;
    if (!parseBody(req, res, body))
      return;
    std::string prompt;
    if (auto e = applyChatTemplate(body, *tokenizer, reasoning(), prompt))
      return sendError(res, *e);
    res.set_content(dumpJson({{"prompt", prompt}}), kJson);
  });
  http.Post("/tokenize", [this](const httplib::Request &req,
                                httplib::Response &res) {
    json body;
    if (!parseBody(req, res, body))
      return;
    auto content = body.find("content");
    if (content == body.end() || !content->is_string())
      return sendError(res, {400, "'content' must be a string",
                             "invalid_request_error", "content", ""});
    bool addSpecial = false;
    if (auto it = body.find("add_special"); it != body.end()) {
      if (!it->is_boolean())
        return sendError(res, {400, "'add_special' must be a boolean",
                               "invalid_request_error", "add_special", ""});
      addSpecial = it->get<bool>();
    }
    std::vector<int32_t> tokens = tokenizer->encode(
        content->get<std::string>(),
        addSpecial && tokenizer->getSpec().addBos, /*parseSpecial=*/true);
    res.set_content(dumpJson({{"tokens", tokens}}), kJson);
  });
  http.Post("/detokenize", [this](const httplib::Request &req,
                                  httplib::Response &res) {
    json body;
    if (!parseBody(req, res, body))
      return;
    auto tokens = body.find("tokens");
    if (tokens == body.end() || !tokens->is_array())
      return sendError(res, {400, "'tokens' must be an array of token ids",
                             "invalid_request_error", "tokens", ""});
    std::vector<int32_t> ids;
    for (const json &id : *tokens) {
      if (!id.is_number_integer() || id.get<int64_t>() < 0 ||
          id.get<int64_t>() >= vocabSize)
        return sendError(res, {400,
                               "'tokens' must hold token ids in [0, " +
                                   std::to_string(vocabSize) + ")",
                               "invalid_request_error", "tokens", ""});
      ids.push_back(int32_t(id.get<int64_t>()));
    }
    res.set_content(dumpJson({{"content", tokenizer->decode(ids)}}), kJson);
  });
  http.Get("/metrics", [this](const httplib::Request &,
                              httplib::Response &res) { metrics(res); });
}

void Frontend::generate(const httplib::Request &req, httplib::Response &res,
                        Endpoint endpoint) {
  json body;
  if (!parseBody(req, res, body))
    return;
  auto request = std::make_shared<CompletionRequest>();
  if (auto e = parseCompletionRequest(body, endpoint, *tokenizer, contextSize,
                                      *request, reasoning()))
    return sendError(res, *e);
  if (draining)
    return sendError(res, unavailable("the server is shutting down"));
  Engine::Admission admission;
  std::shared_ptr<Stream> stream = engine->submit(request->generation, admission);
  if (!stream) {
    res.set_header("Retry-After", "1");
    return sendError(
        res, unavailable(admission == Engine::Admission::QueueFull
                             ? "the server is busy: every slot is taken and "
                               "the queue is full; retry later"
                             : "the server is shutting down"));
  }
  auto writer = std::make_shared<ResponseWriter>(
      *request, *tokenizer,
      body.contains("model") && body["model"].is_string()
          ? body["model"].get<std::string>()
          : modelName);
  ++active;

  if (!request->stream) {
    std::string text;
    std::vector<TokenLogprob> logprobs;
    StreamEvent event;
    // While it waits, the handler looks at the connection: a client that
    // left (timed out, pressed stop) cancels the request, which frees its
    // slot (or its place in the queue) at the engine's next step instead of
    // generating to max_tokens for no one.
    int socket = currentRequest.socket;
    bool clientLeft = false;
    auto lastCheck = std::chrono::steady_clock::now();
    for (;;) {
      if (stream->next(event, std::chrono::milliseconds(50))) {
        text += event.text;
        logprobs.insert(logprobs.end(), event.logprobs.begin(),
                        event.logprobs.end());
        if (event.done)
          break;
      }
      auto now = std::chrono::steady_clock::now();
      if (!clientLeft && now - lastCheck >= std::chrono::milliseconds(50)) {
        lastCheck = now;
        if (!clientConnected(socket)) {
          clientLeft = true;
          stream->cancel();
        }
      }
    }
    --active;
    currentRequest.promptTokens = event.promptTokens;
    currentRequest.completionTokens = event.completionTokens;
    currentRequest.finish = finishReasonName(event.finish);
    if (clientLeft) {
      // No one reads it; 499 is nginx's "client closed request".
      res.status = 499;
      res.set_header("Connection", "close");
      return;
    }
    if (event.finish == FinishReason::Error)
      return sendError(res, {500, event.error, "server_error", "", ""});
    if (event.finish == FinishReason::Cancelled)
      return sendError(res, unavailable("the request was cancelled: the "
                                        "server is shutting down"));
    res.set_content(dumpJson(writer->complete(text, logprobs, event)), kJson);
    return;
  }

  // Server-sent events: a chunk per piece of text, the finish, the usage
  // when asked, then [DONE].
  res.set_header("Cache-Control", "no-cache");
  auto first = std::make_shared<bool>(true);
  res.set_chunked_content_provider(
      "text/event-stream",
      [stream, writer, request, first](size_t, httplib::DataSink &sink) {
        auto send = [&](const json &chunk) {
          std::string data = "data: " + dumpJson(chunk) + "\n\n";
          return sink.write(data.data(), data.size());
        };
        if (*first && request->endpoint == Endpoint::ChatCompletions) {
          *first = false;
          if (!send(writer->chunk("", {}))) // the role, as OpenAI sends it
            return stream->cancel(), false;
        }
        StreamEvent event;
        if (!stream->next(event, std::chrono::milliseconds(50))) {
          // Nothing new: is the client still there?
          if (!sink.is_writable())
            return stream->cancel(), false;
          return true;
        }
        currentRequest.promptTokens = event.promptTokens;
        currentRequest.completionTokens = event.completionTokens;
        if (event.done)
          currentRequest.finish = finishReasonName(event.finish);
        if (!event.text.empty() || !event.logprobs.empty()) {
          // Null while a thinking model's tags may still be forming.
          json chunk = writer->chunk(event.text, event.logprobs);
          if (!chunk.is_null() && !send(chunk))
            return stream->cancel(), false;
        }
        if (!event.done)
          return true;
        if (event.finish == FinishReason::Error ||
            event.finish == FinishReason::Cancelled) {
          ApiError e = event.finish == FinishReason::Error
                           ? ApiError{500, event.error, "server_error", "", ""}
                           : unavailable("the request was cancelled: the "
                                         "server is shutting down");
          if (!send(errorBody(e)))
            return false;
        } else {
          if (json rest = writer->flushChunk(); !rest.is_null() && !send(rest))
            return false;
          if (!send(writer->finalChunk(event)))
            return false;
          if (request->includeUsage && !send(writer->usageChunk(event)))
            return false;
        }
        static const char done[] = "data: [DONE]\n\n";
        if (!sink.write(done, sizeof done - 1))
          return false;
        sink.done();
        return true;
      },
      [this, stream](bool) {
        // Ended (or cut): a request still running is no one's now.
        stream->cancel();
        --active;
      });
}

void Frontend::metrics(httplib::Response &res) {
  EngineMetrics m = engine->getMetrics();
  std::string out;
  auto metric = [&](const char *name, const char *type, const char *help,
                    double value, const char *labels = "") {
    char line[64];
    std::snprintf(line, sizeof line, "%.17g", value);
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name +
           " " + type + "\n" + name + labels + " " + line + "\n";
  };
  metric("trit_http_requests_total", "counter", "HTTP requests received.",
         double(httpRequests));
  metric("trit_requests_finished_total", "counter",
         "Generation requests answered to the end.",
         double(m.requestsFinished));
  metric("trit_requests_cancelled_total", "counter",
         "Generation requests ended early (client gone, shutdown).",
         double(m.requestsCancelled));
  metric("trit_requests_rejected_total", "counter",
         "Generation requests refused with 503 (queue full, shutting down).",
         double(m.requestsRejected));
  metric("trit_prompt_tokens_total", "counter", "Prompt tokens evaluated.",
         double(m.promptTokens));
  metric("trit_generated_tokens_total", "counter", "Tokens generated.",
         double(m.generatedTokens));
  metric("trit_prompt_seconds_total", "counter",
         "Seconds spent evaluating prompts.", m.promptSeconds);
  metric("trit_generation_seconds_total", "counter",
         "Seconds spent generating (sampling and batched decoding).",
         m.generationSeconds);
  metric("trit_prompt_tokens_per_second", "gauge",
         "Prompt tokens per second of prompt time, since the start.",
         m.promptSeconds > 0 ? m.promptTokens / m.promptSeconds : 0);
  metric("trit_generation_tokens_per_second", "gauge",
         "Generated tokens per second of generation time (all sequences "
         "together), since the start.",
         m.generationSeconds > 0 ? m.generatedTokens / m.generationSeconds
                                 : 0);
  metric("trit_decode_steps_total", "counter", "Batched decoding steps.",
         double(m.decodeSteps));
  metric("trit_decode_rows_total", "counter",
         "Sequences decoded, summed over the steps (rows / steps: the mean "
         "batch).",
         double(m.decodeRows));
  metric("trit_requests_queued", "gauge", "Requests waiting for a slot.",
         double(m.queued));
  metric("trit_slots_active", "gauge", "Slots running a request.",
         double(m.activeSlots));
  metric("trit_slots", "gauge", "Slots (concurrent sequences).",
         double(m.slots));
  res.set_content(out, "text/plain; version=0.0.4; charset=utf-8");
}

/// The command line's options.
std::vector<Option> describeServerOptions(ServerOptions &o, bool builtIn,
                                          std::string &weights) {
  std::vector<Option> options = {
      {"host", "HOST", "Address to listen on (default 127.0.0.1)", &o.host},
      {"port", "PORT", "Port to listen on (default 8080; 0: any free port)",
       &o.port},
      {"t", "N",
       "Threads (default 0: the CPUs this process may use, at most one per "
       "physical core)",
       &o.threads},
      {"threads", "N", "Same as -t", &o.threads},
      {"parallel", "N",
       "Concurrent sequences, each with its own KV cache (default 4)",
       &o.parallel},
      {"np", "N", "Same as --parallel", &o.parallel},
      {"ctx-size", "N",
       "Context length of each sequence (default: what the model was "
       "compiled for)",
       &o.contextSize},
      {"c", "N", "Same as --ctx-size", &o.contextSize},
      {"api-key", "KEY",
       "Require 'Authorization: Bearer KEY' on every request but /health",
       &o.apiKey},
      {"timeout", "SECONDS",
       "Read and write timeout of a connection (default 600)", &o.timeout},
      {"queue-size", "N",
       "Requests that may wait for a slot; more get 503 with Retry-After "
       "(default 64)",
       &o.queueSize},
      {"alias", "NAME",
       "The model's name in /v1/models and responses (default: the model "
       "file's or program's name)",
       &o.alias},
      {"max-body", "BYTES",
       "Largest request body; larger ones get 413 (default 8388608)",
       &o.payloadLimit},
  };
  options.push_back(
      {"cors-origin", "ORIGINS",
       "Origins that browser apps may call from: * (the default), origins "
       "separated by commas, or '' for none (no CORS headers)",
       &o.corsOrigin});
  options.push_back(
      {"reasoning-budget", "N",
       "Thinking of a model whose chat template thinks (Qwen3): -1 (the "
       "default) lets it think, 0 turns it off (an empty think block follows "
       "the generation prompt); a request's chat_template_kwargs "
       "{\"enable_thinking\": false} or true overrides it",
       &o.reasoningBudget});
  options.push_back(
      {"reasoning-format", "FORMAT",
       "A thinking model's chat answers: auto or deepseek (the default: the "
       "leading <think>...</think> as message.reasoning_content, streamed as "
       "delta.reasoning_content), or none (all of it in the content); a "
       "request's reasoning_format overrides it",
       &o.reasoningFormat});
  options.push_back({"log-disable", nullptr,
                     "No line on stderr per request (method, path, status, "
                     "tokens, time)",
                     &o.logDisable});
  if (builtIn)
    options.push_back({"weights", "FILE",
                       "The weights file of a program compiled with "
                       "--weights=external",
                       &weights});
  return options;
}

/// SIGTERM and SIGINT, received by a thread of their own (they are blocked
/// in every other thread).
int waitForSignal(const sigset_t &signals) {
  int signal = 0;
  sigwait(&signals, &signal);
  return signal;
}

} // namespace

int trit::serveCommand(int argc, char **argv,
                       const RunCommandOptions &commandOptions) {
  std::string program = commandOptions.programName;
  auto fail = [&](const std::string &message) {
    std::fprintf(stderr, "%s: error: %s\n", program.c_str(), message.c_str());
    return 1;
  };
  bool builtIn = bool(commandOptions.openBuiltInModel);
  ServerOptions o;
  std::string weights;
  std::vector<Option> table = describeServerOptions(o, builtIn, weights);
  std::vector<std::string> positional;
  bool help = false;
  if (Error e = parseOptions(argc, argv, program, table,
                             builtIn ? nullptr : &positional,
                             ": " + program + " has its model built in", help))
    return fail(e.message());
  if (help) {
    std::string text =
        program + ": serve " + (builtIn ? "the model built into this program"
                                        : "a model compiled by tritc") +
        " over the OpenAI API\n\nUsage: " + program +
        (builtIn ? " --serve" : " MODEL.trit") + " [options]\n\n  " +
        program + (builtIn ? " --serve" : " model.trit") +
        " --port 8080 --parallel 4\n\nOptions:\n" + describeOptionTable(table);
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
  }
  if (!builtIn && positional.empty())
    return fail("no model: give the path of a compiled model (.trit); see " +
                program + " --help");
  if (positional.size() > 1)
    return fail("unexpected argument '" + positional[1] +
                "': the model was already given as '" + positional[0] + "'");
  if (o.port < 0 || o.port > 65535)
    return fail("--port must be between 0 (any free port) and 65535");
  if (o.threads < 0 || o.threads > 1024)
    return fail("-t must be between 0 (the default) and 1024");
  if (o.parallel < 1 || o.parallel > 256)
    return fail("--parallel must be between 1 and 256");
  if (o.contextSize < 0)
    return fail("--ctx-size must be 0 (the compiled context) or more");
  if (o.timeout < 1)
    return fail("--timeout must be 1 second or more");
  if (o.queueSize < 0 || o.queueSize > 65536)
    return fail("--queue-size must be between 0 and 65536");
  if (o.payloadLimit < 1024)
    return fail("--max-body must be 1024 bytes or more");
  if (o.reasoningBudget != -1 && o.reasoningBudget != 0)
    return fail("--reasoning-budget must be -1 (think, the default) or 0 (no "
                "thinking); budgets of N tokens are not supported");
  if (o.reasoningFormat != "none" && o.reasoningFormat != "auto" &&
      o.reasoningFormat != "deepseek")
    return fail("--reasoning-format must be none, auto (the default) or "
                "deepseek, not '" +
                o.reasoningFormat + "'");
  std::string modelPath = builtIn ? "" : positional[0];
  std::string modelName = o.alias;
  if (modelName.empty()) {
    std::string base = builtIn ? program : modelPath;
    base = base.substr(base.find_last_of('/') + 1);
    if (!builtIn && base.size() > 5 &&
        base.compare(base.size() - 5, 5, ".trit") == 0)
      base.resize(base.size() - 5);
    modelName = base;
  }

  // Signals go to one thread: block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  // Listen first, so that /health answers 503 while the model loads.
  Frontend frontend(o, program, modelName);
  httplib::Server &http = frontend.http;
  frontend.install();
  http.set_read_timeout(o.timeout, 0);
  http.set_write_timeout(o.timeout, 0);
  http.set_payload_max_length(size_t(o.payloadLimit));
  // A thread per connection being served: every slot's, every queued
  // request's, and a few for /health, /metrics and refusals.
  size_t connections = size_t(o.parallel) + size_t(o.queueSize) + 8;
  http.new_task_queue = [connections] {
    return new httplib::ThreadPool(connections);
  };
  int port = o.port;
  if (port == 0) {
    port = http.bind_to_any_port(o.host);
    if (port < 0)
      return fail("cannot listen on " + o.host + ": no free port");
  } else if (!http.bind_to_port(o.host, port)) {
    return fail("cannot listen on " + o.host + ":" + std::to_string(port) +
                " (in use, or not an address of this machine)");
  }
  std::thread listener([&] { http.listen_after_bind(); });
  // stop() only stops a server that is running.
  while (!http.is_running())
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::fprintf(stderr, "%s: listening on http://%s:%d\n", program.c_str(),
               o.host.c_str(), port);

  // A signal while loading ends the process at once, as before listening.
  std::atomic<int> received{0};
  std::atomic<bool> loaded{false};
  std::thread signalThread([&] {
    received = waitForSignal(signals);
    if (!loaded) {
      std::fprintf(stderr, "%s: stopped while loading\n", program.c_str());
      std::_Exit(0);
    }
  });
  signalThread.detach();

  auto stopListening = [&] {
    http.stop();
    listener.join();
  };
  auto artifact = builtIn ? commandOptions.openBuiltInModel(weights)
                          : Artifact::open(modelPath);
  if (!artifact)
    return stopListening(), fail(toString(artifact.takeError()));
  auto tokenizer = Tokenizer::create((*artifact)->getTokenizerSpec());
  if (!tokenizer)
    return stopListening(),
           fail((builtIn ? "" : modelPath + ": ") +
                toString(tokenizer.takeError()));
  const CompiledModelInfo &info = (*artifact)->getInfo();
  int64_t capacity = o.contextSize ? o.contextSize : info.maxContext;
  int threads = o.threads ? o.threads : defaultThreadCount();
  auto executor = Executor::create(info, (*artifact)->getWeights(), capacity,
                                   threads, o.parallel);
  if (!executor)
    return stopListening(), fail(toString(executor.takeError()));
  Engine engine(**executor, **tokenizer, size_t(o.queueSize));
  frontend.setModel(&engine, tokenizer->get(), info.vocab, capacity);
  loaded = true;
  std::fprintf(stderr,
               "%s: ready: model '%s', %d slot%s of %lld tokens, %d "
               "thread%s\n",
               program.c_str(), modelName.c_str(), o.parallel,
               o.parallel == 1 ? "" : "s", static_cast<long long>(capacity),
               threads, threads == 1 ? "" : "s");
  if (received) // a signal came just as loading ended
    std::_Exit(0);

  // Until SIGTERM or SIGINT: then /health says 503 and new requests are
  // refused; those in flight finish (a second signal cancels them), and
  // the server stops once their answers are sent.
  while (!received)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::fprintf(stderr, "%s: stopping: finishing %d request%s in flight\n",
               program.c_str(), frontend.inFlight(),
               frontend.inFlight() == 1 ? "" : "s");
  frontend.beginDraining();
  engine.stopAccepting(/*cancel=*/false);
  std::atomic<bool> cancelled{false};
  std::thread second([&] {
    if (waitForSignal(signals)) {
      cancelled = true;
      engine.stopAccepting(/*cancel=*/true);
    }
  });
  second.detach();
  while (frontend.inFlight() > 0)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  stopListening();
  engine.shutdown();
  std::fprintf(stderr, "%s: stopped\n", program.c_str());
  return 0;
}
