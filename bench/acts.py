"""How the trained model classifies messages carrying several acts (bot/nlu/acts.py).

Run after training: ``python -m bench.acts`` prints, for messages written for
tests/test_acts.py (never used for training), the intent the model gives and whether it
is the substantive act. ``--simulate`` applies the trimmer and the override around a
model trained before they were in config.yml, to compare the two.
"""
from __future__ import annotations

import argparse
import asyncio
import glob
import logging
from typing import Dict, Tuple

from bot.nlu.acts import demands_person, leading_social_clause, social_intent
from bot.text import normalize

# message -> the intents that serve its substantive act
EXPECTED: Dict[str, Tuple[str, ...]] = {
    "你好，我下个月中旬要去成都找朋友玩，想在春熙路附近订个酒店住三晚": ("search_hotel",),
    "你好，想订上海的酒店，12月14号入住两晚，一个人": ("search_hotel", "book"),
    "在吗？明天北京到上海还有高铁票吗": ("search_ticket",),
    "在吗在吗，我的退款到哪了": ("refund_status",),
    "hi，帮我查下订单TD2H8KQ4MZ": ("check_booking",),
    "哈喽~ 三亚有什么亲子酒店": ("search_hotel",),
    "好的，那它几点开门？": ("search_tour",),
    "行，那退票怎么收费": ("cancel_booking", "faq"),
    "嗯嗯，那第二个酒店有停车场吗": ("search_hotel",),
    "OK，明天的G7还有一等座吗": ("search_ticket",),
    "好的谢谢，那改签要手续费吗": ("change_booking", "faq"),
    "谢谢，另外我想问下发票怎么开": ("faq",),
    "知道了，那儿童票怎么买？": ("faq", "search_tour", "search_ticket"),
    "您好！！我要投诉": ("complaint",),
    "好的，谢谢，再见": ("goodbye",),
    "谢谢啦拜拜": ("goodbye",),
    "OK了，多谢": ("thank",),
    "好的我知道了，谢谢你，那就先这样吧，再见": ("goodbye",),
    "行吧，那我明天再打电话，先这样，拜拜": ("goodbye",),
    "没有了，谢谢": ("goodbye", "thank"),
    "谢谢你，辛苦了": ("thank",),
    "好嘞，感谢！": ("thank",),
    "你们这破机器人听不懂人话，给我找个活人！": ("request_human",),
    "叫你们经理来": ("request_human",),
    "我要人工客服马上": ("request_human",),
    "别跟我扯了，找真人": ("request_human",),
}


def simulated(text: str, model_intent: str) -> Tuple[str, str]:
    """(text shown to the classifier, final intent) as the two components would make them."""
    shown = text[leading_social_clause(text):]
    if demands_person(shown):
        return shown, "request_human"
    return shown, social_intent(shown) or model_intent


async def measure(simulate: bool) -> None:
    from rasa.core.agent import load_agent

    agent = await load_agent(model_path=sorted(glob.glob("models/*.tar.gz"))[-1])
    right = 0
    for message, wanted in EXPECTED.items():
        text = normalize(message).text
        if simulate:
            shown = text[leading_social_clause(text):]
            parsed = await agent.parse_message(shown)
            intent = simulated(text, parsed["intent"]["name"])[1]
        else:
            intent = (await agent.parse_message(text))["intent"]["name"]
        right += intent in wanted
        print(f"{'ok ' if intent in wanted else 'BAD'} {intent:15} {message}")
    print(f"substantive act recognised: {right}/{len(EXPECTED)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--simulate", action="store_true", help="apply the components around an older model")
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(measure(parser.parse_args().simulate))


if __name__ == "__main__":
    main()
