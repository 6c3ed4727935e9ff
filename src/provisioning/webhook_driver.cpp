// The webhook driver: an approved review-tier request is POSTed as JSON to the service's
// operator-configured URL; the answer {"outputs": {...}, "secrets": {"NAME": "value"}} completes it.
#include <curl/curl.h>

#include "provisioning/drivers.hpp"
#include "util/crypto.hpp"

namespace asg {

namespace {
std::size_t collect(char* data, std::size_t size, std::size_t count, void* out) {
    auto* body = static_cast<std::string*>(out);
    if (body->size() + size * count > 1024 * 1024) return 0;  // refuse answers over 1 MiB
    body->append(data, size * count);
    return size * count;
}
}  // namespace

Provisioned provision_via_webhook(const ServiceRow& service, const ResourceRow& request) {
    json_error_t error;
    Json config = json_own(json_loads(service.driver_config_json.c_str(), 0, &error));
    std::string url(json_member_string(config.get(), "url"));
    if (url.empty())
        throw ProvisionError("service " + service.type + " has no webhook: set one with asgard service set " +
                             service.type + " --webhook URL");
    Json params = json_own(json_loads(request.params_json.c_str(), 0, &error));
    std::string payload = json_to_string(json_own(json_pack(
        "{s:s,s:s,s:s,s:O,s:s}", "request_id", request.id.c_str(), "project_id", request.project_id.c_str(),
        "service", service.type.c_str(), "params", params.get(), "requested_by", request.requested_by.c_str())).get());

    std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
    if (!curl) throw ProvisionError("cannot start an HTTP client");
    std::string body;
    curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
    std::string_view token = json_member_string(config.get(), "token");
    std::string auth = "Authorization: Bearer " + std::string(token);
    if (!token.empty()) headers = curl_slist_append(headers, auth.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, payload.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl.get(), CURLOPT_PROTOCOLS_STR, "http,https");
    CURLcode rc = curl_easy_perform(curl.get());
    long status = 0;
    curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    if (rc != CURLE_OK) throw ProvisionError(std::string("webhook call failed: ") + curl_easy_strerror(rc));
    if (status < 200 || status > 299)
        throw ProvisionError("webhook answered HTTP " + std::to_string(status) + ": " + body.substr(0, 200));
    Json answer = json_own(json_loads(body.c_str(), 0, &error));
    if (!json_is_object(answer.get())) throw ProvisionError("webhook answer is not a JSON object");
    Provisioned out;
    json_t* outputs = json_object_get(answer.get(), "outputs");
    out.outputs = json_own(json_is_object(outputs) ? json_deep_copy(outputs) : json_object());
    const char* name;
    json_t* value;
    json_object_foreach(json_object_get(answer.get(), "secrets"), name, value) {
        std::string n(name);
        bool valid = !n.empty() && n.size() <= 63 && n[0] >= 'A' && n[0] <= 'Z' &&
                     n.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == std::string::npos;
        if (!valid || !json_is_string(value))
            throw ProvisionError("webhook secret names must be UPPER_CASE and values strings (got " + n + ")");
        out.secrets[n] = json_string_value(value);
    }
    return out;
}

}  // namespace asg
