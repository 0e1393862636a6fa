#!/usr/bin/env bash
# Markdown rendering cost on pathological 10,000-character bodies (nested lists and quotes,
# list-item runs, emphasis and bracket runs, wide and long tables, raw HTML runs): each either
# renders or is refused, and the slowest of each is printed. Release build, no database.
# Usage: bench/markdown.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q --example markdown_cost
target/release/examples/markdown_cost
