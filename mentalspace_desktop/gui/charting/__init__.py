"""Clinical charting screens: My notes, the note editor, signing, history, plans, diagnoses."""
