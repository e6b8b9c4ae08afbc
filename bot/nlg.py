"""Replies in the script the traveller writes.

Responses are written once, in Simplified Chinese. When the traveller's latest
message with Chinese characters was Traditional, every reply (text and button
titles, including values filled into it) is converted to Traditional on the way out,
so a traveller from Taipei or Hong Kong is answered the way they write.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.responses import with_file_responses
from bot.text import has_chinese, is_simplified, is_traditional, to_traditional


def writes_traditional(tracker: DialogueStateTracker) -> bool:
    """Whether the traveller's most recent message that shows a script was Traditional.

    A reply such as "二等座" or a name reads the same in both scripts; it does not
    switch a Traditional conversation to Simplified, so the messages before it decide.
    """
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered) and event.text and has_chinese(event.text):
            if is_traditional(event.text):
                return True
            if is_simplified(event.text):
                return False
    return False


def convert_reply(reply: Dict[Text, Any]) -> Dict[Text, Any]:
    converted = dict(reply)
    if isinstance(converted.get("text"), str):
        converted["text"] = to_traditional(converted["text"])
    if converted.get("buttons"):
        converted["buttons"] = [
            {**button, "title": to_traditional(str(button.get("title", "")))}
            for button in converted["buttons"]
        ]
    return converted


def convert_action_buttons(buttons: Any) -> None:
    """Titles of the buttons an action passed with its response, converted in place.

    Rasa (RemoteAction._utter_responses) appends an action's own buttons to the reply
    after this generator ran, from the same list it handed us as ``buttons``; converting
    that list's titles is the one place their script can follow the traveller's.
    Payloads stay as they are.
    """
    for button in buttons if isinstance(buttons, list) else ():
        if isinstance(button, dict) and isinstance(button.get("title"), str):
            button["title"] = to_traditional(button["title"])


class ScriptAwareNLG(TemplatedNaturalLanguageGenerator):
    def __init__(
        self, endpoint_config: Optional[EndpointConfig] = None, domain: Optional[Domain] = None
    ) -> None:
        super().__init__((domain or Domain.empty()).responses)

    @property
    def responses(self) -> Dict[Text, List[Dict[Text, Any]]]:
        return self._responses

    @responses.setter
    def responses(self, responses: Dict[Text, List[Dict[Text, Any]]]) -> None:
        """The model's responses (Rasa sets them again whenever it loads a model), and a
        response added to domain.yml since the model was trained, from the file."""
        self._responses = with_file_responses(responses)

    async def generate(
        self,
        utter_action: Text,
        tracker: DialogueStateTracker,
        output_channel: Text,
        **kwargs: Any,
    ) -> Optional[Dict[Text, Any]]:
        reply = await super().generate(utter_action, tracker, output_channel, **kwargs)
        if reply and writes_traditional(tracker):
            convert_action_buttons(kwargs.get("buttons"))
            return convert_reply(reply)
        return reply
