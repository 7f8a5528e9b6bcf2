"""CloudFormation's resource ``Handler`` is an abstract base: a handler missing a method fails early."""

from __future__ import annotations

import pytest

from minilambda.cloudformation.handlers import HANDLERS
from minilambda.cloudformation.resources import Handler, Provisioned


def test_a_handler_without_create_cannot_be_instantiated():
    class NoCreate(Handler):
        removed_by = ("delete_queue", "QueueUrl")

    with pytest.raises(TypeError, match="abstract method.*create"):
        NoCreate()


def test_a_handler_without_delete_or_removed_by_fails_when_defined():
    with pytest.raises(TypeError, match="NoDelete must define delete"):
        class NoDelete(Handler):  # noqa: F841 - defining it is the test
            def create(self, ctx, props):
                return Provisioned("x")


def test_an_intermediate_base_may_leave_both_to_its_subclasses():
    class Base(Handler):
        pass

    class Leaf(Base):
        removed_by = ("delete_topic", "TopicArn")

        def create(self, ctx, props):
            return Provisioned("arn")

    with pytest.raises(TypeError):
        Base()
    assert Leaf().create(None, {}).physical_id == "arn"


def test_every_supported_type_has_a_complete_handler():
    assert HANDLERS and all(isinstance(h, Handler) for h in HANDLERS.values())
    for resource_type, handler in HANDLERS.items():
        assert not getattr(type(handler), "__abstractmethods__", None), resource_type
        assert type(handler).delete is not Handler.delete or handler.removed_by, resource_type
