"""Stage 5, what the person sees and hears: the overlay drawn on the frame (`overlay`), the
window, the annotated video and the still images (`sinks`), and the spoken cues (`speech`).
"""
