// Ready-to-paste client setups for a new PAT, with this host filled in and the token referenced as
// $ASGARD_PAT (never inline).
export function snippets(origin) {
  const mcp = `${origin}/mcp`;
  return [
    ['Your shell (once)', 'export ASGARD_PAT=<the token above>'],
    ['Claude Code', `claude mcp add --transport http asgard ${mcp} \\\n  --header "Authorization: Bearer $ASGARD_PAT"`],
    ['Claude Code, project .mcp.json (expanded at run time)', JSON.stringify({
      mcpServers: { asgard: { type: 'http', url: mcp, headers: { Authorization: 'Bearer ${ASGARD_PAT}' } } },
    }, null, 2)],
    ['Codex, ~/.codex/config.toml', `[mcp_servers.asgard]\nurl = "${mcp}"\nbearer_token_env_var = "ASGARD_PAT"`],
    ['Cursor, ~/.cursor/mcp.json', JSON.stringify({
      mcpServers: { asgard: { url: mcp, headers: { Authorization: 'Bearer ${ASGARD_PAT}' } } },
    }, null, 2)],
    ['MCP Inspector (Node 22)', `npx @modelcontextprotocol/inspector@latest\n# Streamable HTTP, ${mcp}, header Authorization: Bearer <token>`],
  ];
}

// The gateway with a new project key (referenced as $ASGARD_PROJECT_KEY, never inline).
export function keySnippets(origin) {
  const base = `${origin}/api/gateway/v1`;
  return [
    ['Your app\'s environment (once)', 'export ASGARD_PROJECT_KEY=<the key above>'],
    ['curl', `curl -sS ${origin}/api/gateway/chat \\\n  -H "Authorization: Bearer $ASGARD_PROJECT_KEY" \\\n  -H 'content-type: application/json' \\\n  -d '{"model":"model:default/gpt-5","messages":[{"role":"user","content":"hi"}],"data_class":"internal"}'`],
    ['OpenAI SDK (JavaScript)', `import OpenAI from 'openai';\nconst client = new OpenAI({ baseURL: '${base}', apiKey: process.env.ASGARD_PROJECT_KEY,\n  defaultHeaders: { 'X-Asgard-Data-Class': 'internal' } });\nconst r = await client.chat.completions.create({ model: 'model:default/gpt-5', messages: [{ role: 'user', content: 'hi' }] });`],
    ['OpenAI SDK (Python)', `from openai import OpenAI\nimport os\nclient = OpenAI(base_url="${base}", api_key=os.environ["ASGARD_PROJECT_KEY"],\n                default_headers={"X-Asgard-Data-Class": "internal"})`],
    ['Anthropic SDK / Claude Code', `export ANTHROPIC_BASE_URL=${origin}/api/gateway\nexport ANTHROPIC_AUTH_TOKEN=$ASGARD_PROJECT_KEY\nexport ANTHROPIC_MODEL=model:anthropic/claude-sonnet  # an Anthropic-kind alias of yours`],
  ];
}
