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
