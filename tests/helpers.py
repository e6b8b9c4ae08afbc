"""Building rasa-sdk trackers and rendering what the traveller would read."""
from __future__ import annotations

import shutil
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.nlu.rule_extractor import rule_entities_for
from bot.text import normalize


def city_entities(text: str, *cities: str) -> List[Dict[str, Any]]:
    found = []
    for city in cities:
        start = text.index(city)
        found.append({"entity": "city", "start": start, "end": start + len(city), "value": city})
    return found


def make_tracker(
    text: str,
    intent: str,
    entities: Optional[List[Dict[str, Any]]] = None,
    slots: Optional[Dict[str, Any]] = None,
    events: Optional[List[Dict[str, Any]]] = None,
    response_selector: Optional[Dict[str, Any]] = None,
    with_rule_entities: bool = True,
) -> Tracker:
    """A tracker as the action server receives it: normalised text, entities, slots."""
    normalized = normalize(text).text
    all_entities = list(entities or [])
    if with_rule_entities:
        all_entities += rule_entities_for(normalized)
    latest = {
        "text": normalized,
        "intent": {"name": intent, "confidence": 0.95},
        "entities": all_entities,
    }
    if response_selector:
        latest["response_selector"] = response_selector
    user_event = {"event": "user", "text": text, "parse_data": latest}
    return Tracker(
        sender_id="test-traveller",
        slots=dict(slots or {}),
        latest_message=latest,
        events=list(events or []) + [user_event],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def slots_after(events: List[Dict[str, Any]], before: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    slots = dict(before or {})
    for event in events:
        if event.get("event") == "slot":
            slots[event["name"]] = event["value"]
    return slots


def rendered(dispatcher: CollectingDispatcher, domain: Dict[str, Any]) -> List[str]:
    """The texts the traveller reads, filled the way Rasa's NLG fills them."""
    texts = []
    for message in dispatcher.messages:
        if message.get("response"):
            template = domain["responses"][message["response"]][0]["text"]
            values = {k: v for k, v in message.items() if v is not None}
            texts.append(template.format_map(_Missing(values)))
        elif message.get("text"):
            texts.append(message["text"])
    return texts


class _Missing(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


# --- running the real actions against a real, seeded store ---------------------------

def in_days(days: int) -> str:
    """The ISO day ``days`` after today in the business time zone (a booking's day)."""
    from bot.nlu.dates import business_now

    return (business_now().date() + timedelta(days=days)).isoformat()


def traveller(text: str, intent: str, sender: str, **slots: Any) -> Tracker:
    """A tracker for ``sender`` (a channel identity such as ``rest:demo-zhang``)."""
    built = make_tracker(text, intent, slots=slots)
    built.sender_id = sender
    return built


async def run_action(action: Any, built: Tracker, domain: Dict[str, Any]) -> Tuple[List[str], Dict[str, Any], List[str]]:
    """Run one action as the action server would: the responses it names, the slots
    after its events, and the texts the traveller reads."""
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, built, domain)
    names = [m.get("response") for m in dispatcher.messages]
    return names, slots_after(events, built.slots), rendered(dispatcher, domain)


def button_titles(action_messages: List[Dict[str, Any]]) -> List[str]:
    return [b["title"] for m in action_messages for b in m.get("buttons") or []]


_template: List[Path] = []


def catalogue_template() -> Path:
    """An SQLite file, migrated and holding the catalogue the seed loads, made once per
    test session: fresh stores start as a copy, so the seed only confirms the catalogue."""
    if not _template:
        from bot.booking.db import engine_for, upgrade
        from bot.booking.seed import catalogue_source
        from bot.catalogue.importer import import_rows

        path = Path(tempfile.mkdtemp(prefix="tripdesk-catalogue-")) / "template.db"
        url = f"sqlite:///{path}"
        upgrade(url)
        engine = engine_for(url)
        import_rows(engine, catalogue_source())
        engine.dispose()  # the last connection checkpoints the WAL into the file
        _template.append(path)
    return _template[0]


def fresh_store_url(folder: Path) -> str:
    """A store database at ``folder/tripdesk.db`` that starts as the catalogue template."""
    shutil.copyfile(catalogue_template(), folder / "tripdesk.db")
    return f"sqlite:///{folder / 'tripdesk.db'}"


def seeded_store(path: Path, monkeypatch: Any, today: Optional[date] = None) -> Any:
    """A SQLite store with the demo catalogue and customers, used by the actions."""
    from actions import store_access
    from bot.booking.seed import seed
    from bot.booking.store import BookingStore

    from bot.catalogue import queries

    store = BookingStore(fresh_store_url(path))
    seed(store, today, demo=True)
    monkeypatch.setattr(store_access, "_store", store)
    monkeypatch.setattr(queries, "_catalogue", queries.Catalogue(engine=store.engine))
    return store


FIXTURE_CATALOGUE = Path(__file__).parent / "catalogue" / "fixtures" / "good"


def install_fixture_catalogue(folder: Path, extra_services: Sequence[str] = ()) -> Any:
    """A fresh SQLite store in ``folder`` holding the small test catalogue (hotels with
    facilities and coordinates, sights, tours, services, and ``extra_services``: rows of
    services.csv), installed as the process's catalogue facade (tests restore the one
    they found afterwards)."""
    from bot.booking.store import BookingStore
    from bot.catalogue.importer import import_path
    from bot.catalogue.queries import Catalogue, use
    from bot.nlu.dates import business_now

    source = FIXTURE_CATALOGUE
    if extra_services:
        source = folder / "catalogue-files"
        shutil.copytree(FIXTURE_CATALOGUE, source)
        with (source / "services.csv").open("a", encoding="utf-8") as services:
            services.writelines(f"{row}\n" for row in extra_services)
    url = f"sqlite:///{folder / 'catalogue.db'}"
    store = BookingStore(url)
    report = import_path(source, store.engine)
    assert not report.errors, report.errors
    store.start_sales_on(business_now().date())
    facade = Catalogue(url)
    use(facade)
    return facade


def catalogue_hotel_names(database_url: str, city: str) -> List[str]:
    """Every hotel name the catalogue in that database has in ``city`` (what a live bot's
    results may list)."""
    from bot.catalogue.items import HotelQuery
    from bot.catalogue.queries import Catalogue

    facade = Catalogue(database_url)
    try:
        return [hotel.name for hotel in facade.find_hotels(HotelQuery(city=city, limit=10_000))]
    finally:
        facade.close()
