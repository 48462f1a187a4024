"""axe-core in the page: the accessibility rules Deque's engine checks (WCAG 2.x A and AA, and its
best practices), run in the real Chromium on what is on screen. The engine is the npm package
`axe-core` (a devDependency of dashboard/), injected into the page as a script."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Page

AXE_JS = Path(__file__).resolve().parents[2] / "dashboard" / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")


async def axe_violations(page: Page, *, impacts: tuple[str, ...] = BLOCKING) -> list[dict]:
    """The violations of at least `impacts`, each as {id, impact, help, nodes: [target, summary]}."""
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        assert AXE_JS.exists(), f"{AXE_JS} is missing: run `npm ci` in dashboard/"
        await page.add_script_tag(path=str(AXE_JS))
    result = await page.evaluate(
        """async () => {
            const r = await axe.run(document, { resultTypes: ['violations'] });
            return r.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map((n) => [n.target.join(' '), n.failureSummary]),
            }));
        }"""
    )
    return [v for v in result if v["impact"] in impacts]


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['impact']} {v['id']}: {v['help']}")
        lines += [f"    {target}: {summary}" for target, summary in v["nodes"][:5]]
    return "\n".join(lines)


async def assert_accessible(page: Page, where: str) -> None:
    violations = await axe_violations(page)
    assert not violations, f"axe-core, {where}:\n{describe(violations)}"
