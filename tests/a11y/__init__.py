"""axe-core in a Playwright page: the WCAG 2.1 A and AA audit of the accessibility tests.

axe-core is pinned in ``package-lock.json`` here and installed by ``make axe-core`` (``npm ci``;
never a CDN). ``audit`` injects it into the page and runs the rules tagged WCAG 2.0/2.1 A and AA;
pages need a context opened with ``bypass_csp=True``, as the site's Content-Security-Policy
(rightly) refuses a script it did not serve.
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import missing_service

AXE_JS = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary})),
  }));
}"""


def axe_required() -> None:
    """Skip (fail under REGISTRY_REQUIRE_SERVICES=1) when axe-core is not installed."""
    if not AXE_JS.is_file():
        missing_service("axe-core in tests/a11y/node_modules (make axe-core)")


def audit(page) -> list[dict]:
    """The page's WCAG 2.1 A/AA violations as axe reports them: id, impact, help, nodes."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    return page.evaluate(RUN, WCAG_TAGS)


def report(violations_by_page: dict[str, list[dict]]) -> str:
    """One readable block per page: each violation's id, help and offending nodes."""
    lines = []
    for where, violations in violations_by_page.items():
        for violation in violations:
            lines.append(f"{where}: {violation['id']} ({violation['impact']}): {violation['help']}")
            for node in violation["nodes"][:8]:
                summary = " ".join(node["summary"].split())
                lines.append(f"    {node['target']}: {summary[:300]}")
    return "\n".join(lines)
