"""The step program: a network's step as a small typed intermediate representation
(:mod:`~fastspike.ir.nodes`), built once by the schedule (:mod:`~fastspike.ir.schedule`) and
lowered by each backend. Expressions and statements are Python syntax trees
(:mod:`~fastspike.ir.syntax`)."""
