"""The workspaces' header (the unread count) and producers' names as the account may read them."""

from django import template

from linkage.privacy import withheld_name
from workspace.inbox import unread_count

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notifications(context) -> int:
    request = context.get("request")
    return unread_count(request.user) if request is not None else 0


@register.simple_tag(takes_context=True)
def producer_name(context, producer) -> str:
    """A producer's name as the signed-in account may read it: a household's is withheld from
    buyers and other cooperatives (``linkage.privacy``), as the API does. The view names the
    codes to withhold in ``withheld_producers``."""
    if isinstance(producer, dict):
        code, name = producer.get("code"), producer.get("name", "")
    else:
        code, name = producer.code, producer.name
    return withheld_name() if code in context.get("withheld_producers", ()) else name
