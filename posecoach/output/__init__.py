"""Stage 5, what the person sees and hears: the coach's screen laid out for its window or
video (`layout`: the picture, the panel with the count and the checklist, the cue), its text
and verdict shapes (`text`), the body drawn over the frame and the developer's view
(`overlay`), the menu of stretches and routines (`menu`), the window, the annotated video and
the still images (`sinks`), the spoken cues (`speech`), and the reference picture of each
stretch's target position (`pictures`: shipped, cached or rendered).
"""
