"""The action server registers every action the domain names, and nothing broken."""
from rasa_sdk.executor import ActionExecutor


def test_every_domain_action_is_registered(domain_dict):
    executor = ActionExecutor()
    executor.register_package("actions")
    assert set(domain_dict["actions"]) <= set(executor.actions)
