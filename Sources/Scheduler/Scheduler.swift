/// Scheduler TASKEE.
public enum SchedulerModule {}
