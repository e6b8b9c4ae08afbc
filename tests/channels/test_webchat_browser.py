"""The website widget in a real browser: Debian's chromium, driven by Playwright.

What a traveller does and sees on the demo travel site: open the chat, say 你好, search
hotels, press a quick reply, lose the network and come back, reload and find the
conversation, use it on a phone. Against the real Rasa and action servers (the shared
``bot_server`` fixture). Playwright never downloads a browser here: it launches
/usr/bin/chromium (scripts/install_browser.sh installs it). Without it these tests
skip, unless TRIPDESK_REQUIRE_BROWSER=1, when they fail.
"""
from __future__ import annotations

import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

from tests.conftest import free_port

CHROMIUM = Path("/usr/bin/chromium")
REQUIRED = os.environ.get("TRIPDESK_REQUIRE_BROWSER") == "1"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "results" / "screenshots"
REPLY_MS = 60_000
PHONE = {"width": 375, "height": 667}

pytestmark = [
    pytest.mark.model,
    pytest.mark.skipif(
        not CHROMIUM.exists() and not REQUIRED,
        reason="Debian's chromium is not installed at /usr/bin/chromium: run scripts/install_browser.sh",
    ),
]

# Records in window.typingShown whether the widget's typing indicator (in its shadow
# root) has been shown since this ran.
WATCH_TYPING = """() => {
  window.typingShown = false;
  const typing = document.querySelector('#tripdesk-webchat').shadowRoot.querySelector('.typing');
  new MutationObserver(() => { if (!typing.hidden) window.typingShown = true; })
    .observe(typing, { attributes: true, attributeFilter: ['hidden'] });
}"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail("TRIPDESK_REQUIRE_BROWSER=1 but /usr/bin/chromium is missing: run scripts/install_browser.sh")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def demo(bot_server: Dict[str, Any]) -> str:
    return f"http://127.0.0.1:{bot_server['port']}/webhooks/webchat/"


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    yield context
    context.close()


def open_chat(page: Any) -> Any:
    page.get_by_role("button", name="打开 TripDesk 在线客服").click()
    panel = page.get_by_role("dialog", name="TripDesk 在线客服")
    panel.wait_for()
    return panel


def send(page: Any, text: str) -> None:
    box = page.get_by_role("textbox", name="输入您的消息")
    box.fill(text)
    page.get_by_role("button", name="发送").click()


def bot_bubbles(page: Any) -> Any:
    return page.locator(".message.from-bot:not(.welcome)")


def wait_for_bot(page: Any, count: int) -> str:
    """Wait until the bot's ``count``-th bubble is shown and the bot stops typing."""
    bot_bubbles(page).nth(count - 1).wait_for(timeout=REPLY_MS)
    page.locator(".typing").wait_for(state="hidden", timeout=REPLY_MS)
    return "\n".join(bot_bubbles(page).all_inner_texts())


def user_bubbles(page: Any) -> List[str]:
    return [text.replace("我：", "").strip() for text in page.locator(".message.from-user").all_inner_texts()]


def screenshot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path))
    return path


def test_traveller_chats_presses_a_quick_reply_and_finds_the_conversation_after_reload(
    context: Any, demo: str
) -> None:
    page = context.new_page()
    page.goto(demo)
    assert "云途旅行" in page.title()
    panel = open_chat(page)
    assert page.get_by_role("textbox", name="输入您的消息").get_attribute("placeholder") == "请输入您的问题…"
    assert "TripDesk 在线客服" in panel.inner_text()
    assert "有什么可以帮您" in page.locator(".welcome").inner_text()

    page.evaluate(WATCH_TYPING)
    send(page, "你好")
    assert "您好" in wait_for_bot(page, 1)
    assert page.evaluate("() => window.typingShown") is True

    send(page, "明天上海有什么酒店")
    results = wait_for_bot(page, 2)  # browsing asks no party size: the list comes at once
    assert "上海" in results and all(f"{n}. " in results for n in (1, 2, 3))
    send(page, "两个人")
    wait_for_bot(page, 3)

    send(page, "订第一个")
    wait_for_bot(page, 4)
    quick_replies = page.get_by_role("group", name="快捷回复").get_by_role("button")
    assert quick_replies.count() >= 2
    choice = quick_replies.first.inner_text()
    quick_replies.first.click()
    assert "几晚" in wait_for_bot(page, 5)
    assert user_bubbles(page)[-1] == choice
    assert page.get_by_role("group", name="快捷回复").get_by_role("button").count() == 0

    conversation = page.locator(".message:not(.welcome)")
    before = conversation.all_inner_texts()
    page.reload()
    log = page.get_by_role("log", name="对话记录")
    log.get_by_text("几晚").wait_for(timeout=REPLY_MS)  # the panel reopens with the history
    assert conversation.all_inner_texts() == before
    assert user_bubbles(page) == ["你好", "明天上海有什么酒店", "两个人", "订第一个", choice]
    assert page.locator(".welcome").count() == 0
    screenshot(page, "webchat-desktop.png")


def test_chat_comes_back_after_the_network_drops(context: Any, demo: str) -> None:
    page = context.new_page()
    page.goto(demo)
    open_chat(page)
    send(page, "你好")
    wait_for_bot(page, 1)

    context.set_offline(True)
    status = page.get_by_role("status").filter(has_text="连接中断，正在重连…")
    status.wait_for(timeout=REPLY_MS)
    send(page, "谢谢")  # written while offline: shown as waiting, sent when back
    assert "等待发送" in page.locator(".message.pending").inner_text()
    context.set_offline(False)
    status.wait_for(state="hidden", timeout=REPLY_MS)
    assert "不客气" in wait_for_bot(page, 2)
    assert user_bubbles(page) == ["你好", "谢谢"]
    assert page.locator(".message.pending").count() == 0


def test_on_a_phone_the_chat_fills_the_screen(browser: Any, demo: str) -> None:
    phone = browser.new_context(locale="zh-CN", viewport=PHONE, device_scale_factor=2, is_mobile=True,
                                has_touch=True)
    page = phone.new_page()
    page.goto(demo)
    launcher = page.get_by_role("button", name="打开 TripDesk 在线客服")
    box = launcher.bounding_box()
    assert box["x"] + box["width"] <= PHONE["width"] and box["y"] + box["height"] <= PHONE["height"]
    panel = open_chat(page)
    assert panel.bounding_box() == {"x": 0, "y": 0, **PHONE}
    send(page, "明天上海有什么酒店")
    assert "上海" in wait_for_bot(page, 1)
    send(page, "两个人")
    wait_for_bot(page, 2)
    send(page, "订第一个")
    wait_for_bot(page, 3)
    on_screen = [page.get_by_role("button", name="发送"),
                 page.get_by_role("group", name="快捷回复").get_by_role("button").last]
    for element in on_screen:
        box = element.bounding_box()
        assert box["x"] + box["width"] <= PHONE["width"] and box["y"] + box["height"] <= PHONE["height"]
    assert screenshot(page, "webchat.png").stat().st_size > 10_000
    page.get_by_role("button", name="关闭在线客服").click()
    launcher.wait_for()
    phone.close()


@pytest.fixture
def travel_site(bot_server: Dict[str, Any]) -> Iterator[str]:
    """Another site (its own origin) whose page embeds the widget with one script tag."""
    widget = f"http://127.0.0.1:{bot_server['port']}/webhooks/webchat/static/widget.js"
    page = f"""<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>海岛假期</title>
<style>button {{ background: red !important; font-size: 40px; }}</style></head>
<body><h1>海岛假期</h1><script src="{widget}" defer></script></body></html>""".encode()

    class Site(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the http.server API)
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://localhost:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_a_travel_site_on_another_origin_embeds_it_with_one_script_tag(context: Any, travel_site: str) -> None:
    page = context.new_page()
    page.goto(travel_site)
    assert page.title() == "海岛假期"
    open_chat(page)
    send(page, "你好")
    assert "您好" in wait_for_bot(page, 1)
    send_button = page.get_by_role("button", name="发送")
    color = send_button.evaluate("node => getComputedStyle(node).backgroundColor")
    assert color != "rgb(255, 0, 0)"  # the site's CSS does not reach into the widget
