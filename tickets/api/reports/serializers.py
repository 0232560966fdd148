from rest_framework import serializers

from tickets.reports import GROUP_BYS, report_moment_parse

_MOMENT_HELP = (
    "An ISO 8601 date (a whole day in the tenant's timezone, included) or date-time (without "
    "an offset: the tenant's wall clock)."
)


class MomentField(serializers.CharField):
    default_error_messages = {"moment": "Give an ISO 8601 date or date-time."}

    def __init__(self, **kwargs):
        super().__init__(max_length=64, **kwargs)

    def run_validation(self, data=serializers.empty):
        text = super().run_validation(data)  # a string within max_length, without NUL
        try:
            return report_moment_parse(text)
        except ValueError:
            self.fail("moment")


class ReportSummaryInputSerializer(serializers.Serializer):
    """`?from=&to=` (default: the 30 days up to now) and `?group_by=`."""

    from_ = MomentField(
        required=False,
        help_text=f"Start of the window. {_MOMENT_HELP} Default: 30 days before `to`.",
    )
    to = MomentField(
        required=False,
        help_text=f"End of the window (excluded). {_MOMENT_HELP} Default: now. At most 366 "
        "days after `from`.",
    )
    group_by = serializers.ChoiceField(
        choices=GROUP_BYS,
        required=False,
        help_text="Also split the figures: by day or week (Monday) in the tenant's timezone, "
        "by assignee, priority or channel.",
    )

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")  # a Python keyword
        return fields


class TimingSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Tickets the figures stand on.")
    median = serializers.FloatField(allow_null=True, help_text="Business minutes.")
    p90 = serializers.FloatField(allow_null=True, help_text="Business minutes (interpolated).")


class AttainmentSerializer(serializers.Serializer):
    eligible = serializers.IntegerField(help_text="Tickets with a target.")
    met = serializers.IntegerField(help_text="Of those, within the target.")
    rate = serializers.FloatField(allow_null=True, help_text="met / eligible (0-1).")


class ReopensSerializer(serializers.Serializer):
    resolved = serializers.IntegerField(help_text="Tickets moved to resolved in the window.")
    reopened = serializers.IntegerField(help_text="Of those, moved back to open after.")
    rate = serializers.FloatField(allow_null=True, help_text="reopened / resolved (0-1).")


class FiguresSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    resolved = serializers.IntegerField()
    backlog = serializers.IntegerField()
    first_response = TimingSerializer()
    resolution = TimingSerializer()
    first_response_sla = AttainmentSerializer()
    resolution_sla = AttainmentSerializer()
    reopens = ReopensSerializer()


class AgentRefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    email = serializers.EmailField()


class GroupSerializer(FiguresSerializer):
    key = serializers.CharField(
        allow_null=True,
        help_text="The day or week (its Monday, YYYY-MM-DD), the agent's id (null: "
        "unassigned), the priority or the channel.",
    )
    label = serializers.CharField()
    agent = AgentRefSerializer(allow_null=True)

    def to_representation(self, group):
        return {
            "key": group.key,
            "label": group.label,
            "agent": AgentRefSerializer(group.agent).data if group.agent else None,
            **FiguresSerializer(group.figures).data,
        }


class PriorityAttainmentSerializer(serializers.Serializer):
    priority = serializers.CharField()
    first_response = AttainmentSerializer()
    resolution = AttainmentSerializer()


class AgentLoadSerializer(serializers.Serializer):
    agent = AgentRefSerializer()
    open = serializers.IntegerField(help_text="Open, in progress or pending now.")
    resolved = serializers.IntegerField(help_text="Resolved in the window.")


class ReportSummaryOutputSerializer(serializers.Serializer):
    from_ = serializers.DateTimeField(source="start")
    to = serializers.DateTimeField(source="end")
    timezone = serializers.CharField(help_text="The tenant's: days and weeks are its.")
    group_by = serializers.ChoiceField(choices=GROUP_BYS, allow_null=True)
    totals = FiguresSerializer()
    groups = GroupSerializer(many=True, help_text="Empty without group_by.")
    sla = PriorityAttainmentSerializer(many=True, help_text="SLA attainment per priority.")
    agents = AgentLoadSerializer(many=True)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields
