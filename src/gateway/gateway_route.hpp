// The gateway's routes: which API family each speaks (OpenAI or Anthropic), what the provider is
// asked at (its endpoint under the provider's base path), which member holds the prompt, and
// how the route is found from a request's path.
#pragma once
#include <string_view>

#include "asgard.h"

namespace asg {

enum class Route { chat = ASG_ROUTE_CHAT, embeddings = ASG_ROUTE_EMBEDDINGS, responses = ASG_ROUTE_RESPONSES,
                   messages = ASG_ROUTE_MESSAGES, count_tokens = ASG_ROUTE_COUNT_TOKENS };
enum class Api { openai = ASG_API_OPENAI, anthropic = ASG_API_ANTHROPIC };

struct RouteInfo {
    Route route;
    Api api;
    std::string_view path;      // what clients call under the gateway's base, e.g. "/chat/completions"
    std::string_view endpoint;  // appended to the provider's base path
    std::string_view prompt;    // the member that must be there: "messages" or "input"
    // The output limit member the provider gets ("" for a route without output).
    std::string_view limit_member;
    bool stream_usage;          // the provider must be asked for usage on streams (stream_options)
};

const RouteInfo& route_info(Route route);

// The route a request path ends with (…/chat, …/chat/completions, …/embeddings, …/responses,
// …/messages, …/messages/count_tokens); false when it ends with none.
bool route_from_path(std::string_view path, Route& route);

// "OpenAI-compatible" or "Anthropic" and the routes of that family, for error messages.
std::string_view api_name(Api api);
std::string_view api_routes(Api api);

}  // namespace asg
