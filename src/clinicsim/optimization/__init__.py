"""Finding the best plan, in the order the data flows: an optimization file -> the validated space of plans, its
objectives, constraints and guarantee (``spec``) -> a search of that space whose plans are simulated through the
sweep machinery on common random numbers -> the selection of the best among the finalists, with a statistical
guarantee -> the report and the winners written as scenario files. Importing the package imports nothing heavy;
each step is imported where it is used."""
