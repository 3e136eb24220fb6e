"""routing: process templates, workflow instances, tasks (待办), working-day calendars, deadlines."""
