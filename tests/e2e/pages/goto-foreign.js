location.href = 'other://localhost/foreign.html';
