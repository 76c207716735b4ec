"""Stage 5, what the person sees and hears: the overlay drawn on the frame (`overlay`), the
window, the annotated video and the still images (`sinks`), the spoken cues (`speech`), and
the reference picture of each stretch's target position (`pictures`: shipped, cached or
rendered).
"""
