// The gateway's route table.
#include "gateway/gateway_route.hpp"

namespace asg {

namespace {

const RouteInfo kRoutes[] = {
    {Route::chat, Api::openai, "/chat/completions", "/chat/completions", "messages", "max_completion_tokens", true},
    {Route::embeddings, Api::openai, "/embeddings", "/embeddings", "input", "", false},
    {Route::responses, Api::openai, "/responses", "/responses", "input", "max_output_tokens", false},
    {Route::messages, Api::anthropic, "/messages", "/messages", "messages", "max_tokens", false},
    {Route::count_tokens, Api::anthropic, "/messages/count_tokens", "/messages/count_tokens", "messages", "", false},
};

bool ends_with(std::string_view s, std::string_view end) {
    return s.size() >= end.size() && s.substr(s.size() - end.size()) == end;
}

}  // namespace

const RouteInfo& route_info(Route route) {
    for (const RouteInfo& r : kRoutes)
        if (r.route == route) return r;
    return kRoutes[0];
}

bool route_from_path(std::string_view path, Route& route) {
    while (!path.empty() && path.back() == '/') path.remove_suffix(1);
    // Longest ending first: /messages/count_tokens before /messages.
    if (ends_with(path, "/messages/count_tokens")) route = Route::count_tokens;
    else if (ends_with(path, "/messages")) route = Route::messages;
    else if (ends_with(path, "/chat/completions") || ends_with(path, "/chat")) route = Route::chat;
    else if (ends_with(path, "/embeddings")) route = Route::embeddings;
    else if (ends_with(path, "/responses")) route = Route::responses;
    else return false;
    return true;
}

std::string_view api_name(Api api) { return api == Api::anthropic ? "Anthropic" : "OpenAI-compatible"; }

std::string_view api_routes(Api api) {
    return api == Api::anthropic ? "/v1/messages and /v1/messages/count_tokens"
                                 : "/v1/chat/completions, /v1/responses and /v1/embeddings";
}

}  // namespace asg
