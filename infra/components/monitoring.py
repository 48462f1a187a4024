"""What an operator is woken for (README, "Operating wagate"): CloudWatch alarms on the runners'
own metrics (runner/platform.py, runner/metrics.py: namespace `Wagate`, dimension `Stage`) and on
the start queue. Each alarm's description says what is wrong; where it goes (SNS, a pager) is
the operator's to add to `alarms`.

- no runner has reported for 5 minutes (`RunnerHeartbeats`, missing data breaches);
- chatbots failing (`ChatbotFailures`), messages failing (`MessagesFailed`), sessions failing
  (`SessionFailures`), Chromium dying (`BrowserRestarts`) above a rate;
- sessions waiting to start (the start queue's oldest message) and start commands dead-lettered.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from infra.components.queues import CommandQueues
from infra.components.runners import METRICS_NAMESPACE

# (threshold, period in minutes, evaluation periods) of each counter's alarm: sums over the fleet
CHATBOT_FAILURES = (20, 5, 2)
MESSAGES_FAILED = (20, 5, 2)
SESSION_FAILURES = (5, 15, 1)
BROWSER_RESTARTS = (3, 15, 1)
RUNNERS_SILENT_MINUTES = 5
START_WAIT_S = 300  # a session waiting this long to be taken by a runner


class FleetAlarms(Construct):
    def __init__(self, scope: Construct, id: str, *, stage: str, queues: CommandQueues) -> None:
        super().__init__(scope, id)
        self.stage = stage

        def counter(name: str, threshold: int, minutes: int, periods: int, what: str) -> cloudwatch.Alarm:
            return alarm(
                self,
                f"{name}Alarm",
                f"{what}: at least {threshold} in {minutes} minutes"
                + (f", {periods} times in a row" if periods > 1 else ""),
                self.runner_metric(name, minutes, cloudwatch.Stats.SUM),
                threshold,
                periods,
            )

        self.alarms = [
            alarm(
                self,
                "RunnersSilentAlarm",
                f"no runner has reported for {RUNNERS_SILENT_MINUTES} minutes: the fleet is down or "
                "cannot reach CloudWatch (sessions are not being served)",
                self.runner_metric("RunnerHeartbeats", RUNNERS_SILENT_MINUTES, cloudwatch.Stats.SAMPLE_COUNT),
                1,
                1,
                comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
            ),
            counter("ChatbotFailures", *CHATBOT_FAILURES, "chatbot calls failing"),
            counter("MessagesFailed", *MESSAGES_FAILED, "messages failing"),
            counter("SessionFailures", *SESSION_FAILURES, "sessions failing"),
            counter("BrowserRestarts", *BROWSER_RESTARTS, "runners' Chromium dying and relaunched"),
            alarm(
                self,
                "StartQueueWaitAlarm",
                f"sessions waiting over {START_WAIT_S} s to be taken by a runner (every runner full, "
                "none running, or the start command failing)",
                queues.start_queue.metric_approximate_age_of_oldest_message(
                    period=Duration.minutes(1), statistic=cloudwatch.Stats.MAXIMUM
                ),
                START_WAIT_S,
                3,
            ),
            alarm(
                self,
                "StartDeadLettersAlarm",
                "start commands dead-lettered: sessions that no runner could start (see the start "
                "queue's dead-letter queue and GET /api/admin/fleet)",
                queues.start_dead_letters.metric_approximate_number_of_messages_visible(
                    period=Duration.minutes(5), statistic=cloudwatch.Stats.MAXIMUM
                ),
                1,
                1,
            ),
        ]

    def runner_metric(self, name: str, minutes: int, statistic: str) -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace=METRICS_NAMESPACE,
            metric_name=name,
            dimensions_map={"Stage": self.stage},
            statistic=statistic,
            period=Duration.minutes(minutes),
        )


def alarm(
    scope: Construct,
    id: str,
    description: str,
    metric: cloudwatch.IMetric,
    threshold: float,
    periods: int,
    **options: object,
) -> cloudwatch.Alarm:
    """An alarm of `scope` that fires at or above `threshold` (unless `comparison_operator` says
    otherwise); missing data does not breach unless `treat_missing_data` says so."""
    return metric.create_alarm(
        scope,
        id,
        alarm_description=description,
        threshold=threshold,
        evaluation_periods=periods,
        **{
            "comparison_operator": cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            "treat_missing_data": cloudwatch.TreatMissingData.NOT_BREACHING,
            **options,
        },
    )
