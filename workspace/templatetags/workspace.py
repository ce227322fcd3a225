"""The workspaces' header: the count of the signed-in user's unread notifications."""

from django import template

from workspace.inbox import unread_count

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notifications(context) -> int:
    request = context.get("request")
    return unread_count(request.user) if request is not None else 0
